import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { timestamps } from "./columns.ts";
import { entries } from "./entries.ts";
import { nodes } from "./nodes.ts";
import { users } from "./users.ts";

/**
 * The outbox: a job row is written in the same transaction as the change that needs it, so no
 * analysis request is lost between the database and the queue.
 */
export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    entryId: uuid("entry_id").references(() => entries.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    status: text("status", { enum: ["queued", "running", "done", "failed"] })
      .notNull()
      .default("queued"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    result: jsonb("result").$type<Record<string, unknown>>(),
    attempts: integer("attempts").notNull().default(0),
    nodeId: uuid("node_id").references(() => nodes.id, { onDelete: "set null" }),
    /** The QStash message of the current attempt; cleared when an attempt is claimed, set once published. */
    messageId: text("message_id"),
    /**
     * Every QStash message the edge published for this job. A result or failure callback is applied only
     * when its `sourceMessageId` is one of these: nodes hold the QStash signing keys and can sign a
     * callback themselves, but only for deliveries they actually received.
     */
    deliveredMessageIds: text("delivered_message_ids").array().notNull().default(sql`'{}'::text[]`),
    /** Why the job waits or failed, in words an operator can act on. */
    error: text("error"),
    availableAt: timestamp("available_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    index("jobs_status_available_idx").on(t.status, t.availableAt),
    // The minute vector repair reads the analyses finished in its last minutes.
    index("jobs_status_finished_idx").on(t.status, t.finishedAt),
    index("jobs_user_idx").on(t.userId, t.createdAt.desc()),
    index("jobs_entry_idx").on(t.entryId),
    // The scheduler counts each node's unanswered jobs on every dispatch.
    index("jobs_node_running_idx").on(t.nodeId).where(sql`${t.status} = 'running'`),
    check("jobs_status_check", sql`${t.status} in ('queued', 'running', 'done', 'failed')`),
  ],
);
