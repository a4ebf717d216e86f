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
    /** Plaintext of a title stored before encryption; new titles go to `title_ct` (docs/design/encryption.md). */
    title: text("title"),
    /** The title, sealed with the writer's data key; null while the session is untitled. */
    titleCt: text("title_ct"),
    /** Set once the person names the session: an automatic title never replaces theirs. */
    titleSetByUser: boolean("title_set_by_user").notNull().default(false),
    /** The `title-session` job queued for this session, so it is queued once. */
    titleJobId: uuid("title_job_id"),
    /** Plaintext tags stored before encryption; new ones go to `tags_ct` and this stays empty. */
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    /**
     * The tags (the writer's, or words of the conversation an automatic title picked) as a sealed JSON
     * array; null while the session has none. Nothing filters on tags in SQL, so no blind index is kept.
     */
    tagsCt: text("tags_ct"),
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
    /** The summary as sealed JSON; `summary` is then null. */
    summaryCt: text("summary_ct"),
    ...timestamps,
  },
  (t) => [
    index("chat_sessions_user_idx").on(t.userId, t.updatedAt.desc(), t.id.desc()),
    // Rows still in plaintext, for the encrypt-rows job (encrypt-rows.ts); empty once it has run.
    index("chat_sessions_plaintext_idx")
      .on(t.id)
      .where(sql`${t.title} is not null or ${t.summary} is not null or cardinality(${t.tags}) > 0`),
    check(
      "chat_sessions_type_check",
      sql`${t.type} in ('reflection_buddy', 'inner_voice', 'growth_challenge', 'pattern_detective', 'free_chat')`,
    ),
    check("chat_sessions_status_check", sql`${t.status} in ('active', 'paused', 'ended')`),
  ],
);
