import { index, pgTable, primaryKey, timestamp, uuid } from "drizzle-orm/pg-core";
import { entries } from "./entries.ts";
import { topics } from "./topics.ts";
import { users } from "./users.ts";

/**
 * Which entries belong to which topics. Counts are computed from this table rather than kept in a
 * counter column, so concurrent writers can never leave a count wrong.
 */
export const entryTopics = pgTable(
  "entry_topics",
  {
    entryId: uuid("entry_id")
      .notNull()
      .references(() => entries.id, { onDelete: "cascade" }),
    topicId: uuid("topic_id")
      .notNull()
      .references(() => topics.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.entryId, t.topicId] }),
    index("entry_topics_topic_idx").on(t.topicId, t.entryId),
    // Insights over one writer's history reach their links without reading everyone's.
    index("entry_topics_user_entry_idx").on(t.userId, t.entryId),
  ],
);
