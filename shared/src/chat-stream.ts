import { z } from "zod";
import { errorCodeSchema } from "./errors.ts";

/**
 * `POST /v1/chat/stream` on an inference node (edge-signed): the edge sends the prompt it built (system text
 * with journal and knowledge context, then the conversation) and reads the answer back as NDJSON, one
 * `ChatStreamEvent` per line (or SSE with `Accept: text/event-stream`, the event name being `type`).
 */

export const CHAT_STREAM_MAX_MESSAGES = 64;
export const CHAT_STREAM_MAX_TEXT = 32_000;
export const CHAT_STREAM_MAX_TOKENS = 4096;

export const chatStreamMessageSchema = z.strictObject({
  role: z.enum(["user", "assistant"]),
  content: z.string().min(1).max(CHAT_STREAM_MAX_TEXT),
});

export const chatStreamRequestSchema = z
  .strictObject({
    system: z.string().max(CHAT_STREAM_MAX_TEXT).optional(),
    messages: z.array(chatStreamMessageSchema).min(1).max(CHAT_STREAM_MAX_MESSAGES),
    maxTokens: z.number().int().min(1).max(CHAT_STREAM_MAX_TOKENS).default(512),
    temperature: z.number().min(0).max(2).default(0.7),
  })
  .refine((body) => body.messages.at(-1)?.role === "user", {
    error: "the last message must be the user's",
    path: ["messages"],
  });
export type ChatStreamRequest = z.infer<typeof chatStreamRequestSchema>;

export const llmBackendIdSchema = z.enum(["ollama", "llama-cpp"]);

export const chatStreamEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("start"), backend: llmBackendIdSchema, model: z.string() }),
  z.object({ type: z.literal("token"), text: z.string() }),
  z.object({
    type: z.literal("done"),
    /** `length`: maxTokens reached; `timeout`: the node's deadline cut it short; `aborted`: the caller left. */
    finishReason: z.enum(["stop", "length", "timeout", "aborted"]),
    /** Text pieces streamed (about one token each). */
    tokens: z.number().int().nonnegative(),
    ms: z.number().nonnegative(),
  }),
  /** After `start` errors can no longer be a status code; the stream then ends with this line. */
  z.object({ type: z.literal("error"), code: errorCodeSchema, detail: z.string() }),
]);
export type ChatStreamEvent = z.infer<typeof chatStreamEventSchema>;
