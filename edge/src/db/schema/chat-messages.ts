import type { SafetyLevel } from "@inkwell/shared";
import { sql } from "drizzle-orm";
import { boolean, check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { chatSessions } from "./chat-sessions.ts";
import { users } from "./users.ts";

export const chatMessages = pgTable(
  "chat_messages",
  {
    id: uuid("id").primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => chatSessions.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["user", "assistant"] }).notNull(),
    /** `greeting`: the assistant's opening line, composed when the session started (chat-greeting.ts). */
    kind: text("kind", { enum: ["message", "greeting"] })
      .notNull()
      .default("message"),
    /** Plaintext of a message stored before encryption; null once `content_ct` holds it (docs/design/encryption.md). */
    content: text("content"),
    /** The message, sealed with the writer's data key (field cipher, bound to this row and column). */
    contentCt: text("content_ct"),
    status: text("status", { enum: ["complete", "incomplete", "failed"] })
      .notNull()
      .default("complete"),
    citations: jsonb("citations")
      .$type<{ kind: "entry" | "knowledge"; id: string }[]>()
      .notNull()
      .default([]),
    safety: jsonb("safety")
      .$type<{ level: SafetyLevel; resources?: unknown[] }>()
      .notNull()
      .default({ level: "none" }),
    generated: boolean("generated").notNull().default(true),
    model: text("model"),
    /** Follow-up questions offered with an assistant reply (chat-suggestions.ts). */
    suggestions: text("suggestions").array().notNull().default(sql`'{}'::text[]`),
    /** The suggestions as a sealed JSON array; `suggestions` is then empty. */
    suggestionsCt: text("suggestions_ct"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("chat_messages_session_idx").on(t.sessionId, t.createdAt, t.id),
    // Rows still in plaintext, for the encrypt-rows job (encrypt-rows.ts); empty once it has run.
    index("chat_messages_plaintext_idx").on(t.id).where(sql`${t.content} is not null`),
    check("chat_messages_role_check", sql`${t.role} in ('user', 'assistant')`),
    check("chat_messages_kind_check", sql`${t.kind} in ('message', 'greeting')`),
    check("chat_messages_content_check", sql`${t.content} is not null or ${t.contentCt} is not null`),
  ],
);
