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
    content: text("content").notNull(),
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
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("chat_messages_session_idx").on(t.sessionId, t.createdAt, t.id),
    check("chat_messages_role_check", sql`${t.role} in ('user', 'assistant')`),
    check("chat_messages_kind_check", sql`${t.kind} in ('message', 'greeting')`),
  ],
);
