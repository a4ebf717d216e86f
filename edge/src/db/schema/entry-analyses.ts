import type { SafetyLevel } from "@inkwell/shared";
import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, real, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { timestamps } from "./columns.ts";
import { entries } from "./entries.ts";
import { users } from "./users.ts";

export const entryAnalyses = pgTable(
  "entry_analyses",
  {
    entryId: uuid("entry_id")
      .primaryKey()
      .references(() => entries.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["pending", "done", "failed"] })
      .notNull()
      .default("pending"),
    /** The entry content version this analysis describes. */
    contentVersion: integer("content_version").notNull(),
    sentimentLabel: text("sentiment_label", { enum: ["negative", "neutral", "positive"] }),
    sentimentScore: real("sentiment_score"),
    emotions: jsonb("emotions").$type<{ label: string; score: number }[]>(),
    keywords: text("keywords").array(),
    /** Cognitive distortions found in the entry, with the words that showed them. */
    patterns: jsonb("patterns").$type<{ label: string; score: number; evidence: string }[]>(),
    safetyLevel: text("safety_level").$type<SafetyLevel>(),
    model: text("model"),
    error: text("error"),
    analyzedAt: timestamp("analyzed_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    index("entry_analyses_user_idx").on(t.userId),
    check("entry_analyses_status_check", sql`${t.status} in ('pending', 'done', 'failed')`),
    check(
      "entry_analyses_score_check",
      sql`${t.sentimentScore} is null or ${t.sentimentScore} between -1 and 1`,
    ),
  ],
);
