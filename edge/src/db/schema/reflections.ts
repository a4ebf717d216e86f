import type { ReflectionCitation, ReflectionStats, ReflectionThemes } from "@inkwell/shared";
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns.ts";
import { jobs } from "./jobs.ts";
import { users } from "./users.ts";

/**
 * One reflection per writer, period kind and period start: the unique index is what makes the weekly
 * cron idempotent, and a repeated request for the same period rewrites the one row instead of piling up.
 */
export const reflections = pgTable(
  "reflections",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    period: text("period", { enum: ["week", "month"] }).notNull(),
    periodStart: timestamp("period_start", { withTimezone: true, mode: "date" }).notNull(),
    periodEnd: timestamp("period_end", { withTimezone: true, mode: "date" }).notNull(),
    /** The zone the period's boundaries were computed in; the writer may move later. */
    timezone: text("timezone").notNull(),
    status: text("status", { enum: ["pending", "done", "failed"] })
      .notNull()
      .default("pending"),
    /** False for the structured reflection the edge computes; true once an LLM wrote the text. */
    generated: boolean("generated").notNull().default(false),
    /** Plaintext of text and themes written before encryption; new ones go to the sealed columns. */
    text: text("text"),
    /** The text, sealed with the writer's data key (docs/design/encryption.md). */
    textCt: text("text_ct"),
    stats: jsonb("stats").$type<ReflectionStats>(),
    themes: jsonb("themes").$type<ReflectionThemes>(),
    /** The themes (keywords and topic names come from the writer's entries) as sealed JSON. */
    themesCt: text("themes_ct"),
    citations: jsonb("citations").$type<ReflectionCitation[]>().notNull().default([]),
    jobId: uuid("job_id").references(() => jobs.id, { onDelete: "set null" }),
    model: text("model"),
    error: text("error"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("reflections_user_period_idx").on(t.userId, t.period, t.periodStart),
    index("reflections_user_list_idx").on(t.userId, t.periodStart.desc(), t.id.desc()),
    // Job completion (edge fallback or a node's result) finds its reflection by job.
    index("reflections_job_idx").on(t.jobId),
    // Rows still in plaintext, for the encrypt-rows job (encrypt-rows.ts); empty once it has run.
    index("reflections_plaintext_idx").on(t.id).where(sql`${t.text} is not null or ${t.themes} is not null`),
    check("reflections_period_check", sql`${t.period} in ('week', 'month')`),
    check("reflections_status_check", sql`${t.status} in ('pending', 'done', 'failed')`),
  ],
);
