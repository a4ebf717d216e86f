import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { entries } from "./entries.ts";
import { users } from "./users.ts";

/**
 * Every text an entry has had, its current one included: `version` is the entry's `content_version`
 * while that text stood. Rows go with their entry when it is removed for good (retention) and with
 * the account, by cascade; a soft-deleted entry's versions are unreadable like the entry itself.
 */
export const entryVersions = pgTable(
  "entry_versions",
  {
    entryId: uuid("entry_id")
      .notNull()
      .references(() => entries.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    title: text("title"),
    content: text("content").notNull(),
    wordCount: integer("word_count").notNull().default(0),
    /** A restore's source version; null for the entry's creation and ordinary edits. */
    restoredFrom: integer("restored_from"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.entryId, t.version] }),
    // The account's cascade and the export reach a writer's versions without reading everyone's.
    index("entry_versions_user_idx").on(t.userId, t.entryId),
    check("entry_versions_version_check", sql`${t.version} >= 1`),
  ],
);
