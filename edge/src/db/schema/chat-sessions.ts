import { sql } from "drizzle-orm";
import { boolean, check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns.ts";
import { users } from "./users.ts";

export const chatSessions = pgTable(
  "chat_sessions",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    title: text("title"),
    /** Set once the person names the session: an automatic title never replaces theirs. */
    titleSetByUser: boolean("title_set_by_user").notNull().default(false),
    /** The `title-session` job queued for this session, so it is queued once. */
    titleJobId: uuid("title_job_id"),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    lastMessageAt: timestamp("last_message_at", { withTimezone: true, mode: "date" }),
    /** `paused` and `ended` sessions take no new messages; an ended one is never reopened. */
    status: text("status", { enum: ["active", "paused", "ended"] })
      .notNull()
      .default("active"),
    pausedAt: timestamp("paused_at", { withTimezone: true, mode: "date" }),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "date" }),
    /** Written once, when the session is ended (chat-summary.ts). */
    summary: jsonb("summary").$type<{
      text: string;
      topics: string[];
      generated: boolean;
      model: string | null;
      createdAt: string;
    }>(),
    ...timestamps,
  },
  (t) => [
    index("chat_sessions_user_idx").on(t.userId, t.updatedAt.desc(), t.id.desc()),
    check(
      "chat_sessions_type_check",
      sql`${t.type} in ('reflection_buddy', 'inner_voice', 'growth_challenge', 'pattern_detective', 'free_chat')`,
    ),
    check("chat_sessions_status_check", sql`${t.status} in ('active', 'paused', 'ended')`),
  ],
);
