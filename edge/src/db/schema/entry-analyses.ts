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
    /** Plaintext keywords of an analysis stored before encryption; new ones go to `keywords_ct`. */
    keywords: text("keywords").array(),
    /** The keywords as a sealed JSON array (field cipher, bound to this row and the `keywords` column). */
    keywordsCt: text("keywords_ct"),
    /**
     * Cognitive distortions found in the entry: label and score (fixed set, numbers) in the clear. Rows
     * stored before encryption also hold each one's `evidence` (the words that showed it) here.
     */
    patterns: jsonb("patterns").$type<{ label: string; score: number; evidence?: string }[]>(),
    /** Each pattern's evidence, in the order of `patterns`, as a sealed JSON array of strings. */
    evidenceCt: text("evidence_ct"),
    safetyLevel: text("safety_level").$type<SafetyLevel>(),
    model: text("model"),
    error: text("error"),
    analyzedAt: timestamp("analyzed_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    index("entry_analyses_user_idx").on(t.userId),
    // Rows still in plaintext, for the encrypt-rows job (encrypt-rows.ts); empty once it has run.
    index("entry_analyses_plaintext_idx")
      .on(t.entryId)
      .where(sql`${t.keywords} is not null or ${t.patterns} @? '$[*].evidence'`),
    check("entry_analyses_status_check", sql`${t.status} in ('pending', 'done', 'failed')`),
    check(
      "entry_analyses_score_check",
      sql`${t.sentimentScore} is null or ${t.sentimentScore} between -1 and 1`,
    ),
  ],
);
