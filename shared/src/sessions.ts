import { z } from "zod";
import { safetyLevelSchema, safetyResourceSchema } from "./safety.ts";

export const sessionTypes = [
  "reflection_buddy",
  "inner_voice",
  "growth_challenge",
  "pattern_detective",
  "free_chat",
] as const;
export const sessionTypeSchema = z.enum(sessionTypes, {
  error: `type must be one of ${sessionTypes.join(", ")}`,
});
export type SessionType = z.infer<typeof sessionTypeSchema>;

/** Longest message a person may send: a long letter, not a book. */
export const MESSAGE_MAX_CHARS = 8_000;

export const createSessionRequestSchema = z.strictObject({
  type: sessionTypeSchema,
  title: z.string().trim().min(1).max(200).optional(),
  /** Open the session with a greeting from the assistant (its first message). Off unless asked for. */
  greeting: z.boolean({ error: "greeting must be true or false" }).optional(),
});
export const updateSessionRequestSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: "give at least one field to change" });

export const sendMessageRequestSchema = z.strictObject({
  content: z
    .string({ error: "content is required" })
    .refine((v) => v.trim().length > 0, { error: "content cannot be empty" }),
});

export const citationSchema = z.object({ kind: z.enum(["entry", "knowledge"]), id: z.string() });
export type Citation = z.infer<typeof citationSchema>;

export const messageSafetySchema = z.object({
  level: safetyLevelSchema,
  resources: z.array(safetyResourceSchema).optional(),
});

export const chatMessageSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  role: z.enum(["user", "assistant"]),
  /** `greeting`: the assistant's opening message of a session started with `greeting: true`. */
  kind: z.enum(["message", "greeting"]),
  content: z.string(),
  /** `incomplete` when the client went away before generation finished. */
  status: z.enum(["complete", "incomplete", "failed"]),
  citations: z.array(citationSchema),
  safety: messageSafetySchema,
  /** False for a reply assembled without a language model (none available). */
  generated: z.boolean(),
  model: z.string().nullable(),
  /**
   * Two or three short questions the writer might ask next, for an assistant reply that completed;
   * empty for the writer's own messages and for a reply cut short.
   */
  suggestions: z.array(z.string()),
  createdAt: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** `paused`: no new messages until resumed; `ended`: closed for good, with its summary. */
export const sessionStatuses = ["active", "paused", "ended"] as const;
export const sessionStatusSchema = z.enum(sessionStatuses);
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

export const sessionSummarySchema = z.object({
  text: z.string(),
  /** The conversation's subjects, from the writer's own words. */
  topics: z.array(z.string()),
  /** False for a summary made without a language model: the writer's own topics, nothing added. */
  generated: z.boolean(),
  model: z.string().nullable(),
  createdAt: z.string(),
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

export const chatSessionSchema = z.object({
  id: z.string(),
  type: sessionTypeSchema,
  title: z.string().nullable(),
  tags: z.array(z.string()),
  messageCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastMessageAt: z.string().nullable(),
  status: sessionStatusSchema,
  pausedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  /** Written when the session is ended; null before. */
  summary: sessionSummarySchema.nullable(),
});
export type ChatSession = z.infer<typeof chatSessionSchema>;

/** `POST /v1/sessions` answers the session and, when one was asked for, its greeting message. */
export const createdSessionSchema = chatSessionSchema.extend({ greeting: chatMessageSchema.nullable() });
export type CreatedSession = z.infer<typeof createdSessionSchema>;

/** Most follow-up suggestions a reply carries, and the longest one. */
export const CHAT_SUGGESTIONS_MAX = 3;
export const CHAT_SUGGESTION_MAX_CHARS = 90;

/** The `suggestions` event a streamed reply ends with, after `done`. */
export const chatSuggestionsEventSchema = z.object({
  messageId: z.string(),
  suggestions: z.array(z.string()),
});
export type ChatSuggestionsEvent = z.infer<typeof chatSuggestionsEventSchema>;

/** `[entry:ID]` and `[kb:ID]` markers the model is asked to use; anything else is ignored. */
export function extractCitations(
  text: string,
  allowed: { entries: Set<string>; knowledge: Set<string> },
): Citation[] {
  const out: Citation[] = [];
  const seen = new Set<string>();
  for (const match of text.matchAll(/\[(entry|kb):([A-Za-z0-9_.:-]{1,80})\]/g)) {
    const kind = match[1] === "entry" ? "entry" : "knowledge";
    const id = match[2] ?? "";
    const ok = kind === "entry" ? allowed.entries.has(id) : allowed.knowledge.has(id);
    const key = `${kind}:${id}`;
    if (ok && !seen.has(key)) {
      seen.add(key);
      out.push({ kind, id });
    }
  }
  return out;
}
