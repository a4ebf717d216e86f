import { z } from "zod";

/** The client's `State` union; `CANCELED` is spelt as the client spells it. */
export const MESSAGE_STATES = [
  "CREATED",
  "ACTIVE",
  "DELIVERED",
  "ERROR",
  "RETRY",
  "FAILED",
  "CANCELED",
  "IN_PROGRESS",
] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** States in which the message still has a delivery ahead of it (and is reloaded after a restart). */
export const PENDING_STATES: ReadonlySet<MessageState> = new Set([
  "CREATED",
  "ACTIVE",
  "RETRY",
  "IN_PROGRESS",
]);

const headerMapSchema = z.record(z.string(), z.array(z.string()));

export const callbackSpecSchema = z.object({
  url: z.string(),
  method: z.string(),
  header: headerMapSchema,
  maxRetries: z.number().int().nonnegative(),
  timeoutMs: z.number().int().positive().optional(),
});
export type CallbackSpec = z.infer<typeof callbackSpecSchema>;

/** A message's `Upstash-Flow-Control-*` settings; each message keeps the ones it was published with. */
export const flowControlSpecSchema = z.object({
  key: z.string().min(1),
  /** Deliveries of this key allowed on the wire at once; absent means no limit. */
  parallelism: z.number().int().positive().optional(),
  /** Deliveries of this key allowed to start per `periodMs`; absent means no limit. */
  rate: z.number().int().positive().optional(),
  periodMs: z.number().int().positive(),
});
export type FlowControlSpec = z.infer<typeof flowControlSpecSchema>;

export const messageRecordSchema = z.object({
  version: z.literal(1),
  messageId: z.string(),
  /** Callbacks are messages of their own, so they are persisted and retried like any other. */
  kind: z.enum(["message", "callback", "failure-callback"]),
  url: z.string(),
  method: z.string(),
  header: headerMapSchema,
  bodyBase64: z.string(),
  maxRetries: z.number().int().nonnegative(),
  /** Attempts that failed so far; sent as `Upstash-Retried` on the next one. */
  retried: z.number().int().nonnegative(),
  notBefore: z.number(),
  createdAt: z.number(),
  nextDeliveryAt: z.number(),
  timeoutMs: z.number().int().positive().optional(),
  /** `Upstash-Retry-Delay` as published; validated then, evaluated before each retry. */
  retryDelay: z.string().optional(),
  flowControl: flowControlSpecSchema.optional(),
  state: z.enum(MESSAGE_STATES),
  callback: callbackSpecSchema.optional(),
  failureCallback: callbackSpecSchema.optional(),
  deduplicationKey: z.string().optional(),
  callerIp: z.string().optional(),
  sourceMessageId: z.string().optional(),
  lastResponse: z
    .object({ status: z.number().int(), header: headerMapSchema, bodyBase64: z.string() })
    .optional(),
  lastError: z.string().optional(),
  finishedAt: z.number().optional(),
});
export type MessageRecord = z.infer<typeof messageRecordSchema>;
