import { index, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * What was deleted, kept after the rows themselves are gone: an entry (`entryId` set) or a whole account
 * (`entryId` null). No foreign keys, so a tombstone outlives the entry's hard delete and the account's
 * cascade. A delivery that was in flight during a delete can still write the vector back into Chroma
 * after the delete's purge ran; results and reindex pages that land later look here and purge again.
 */
export const vectorTombstones = pgTable(
  "vector_tombstones",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").notNull(),
    entryId: uuid("entry_id"),
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("vector_tombstones_entry_idx").on(t.entryId),
    index("vector_tombstones_user_idx").on(t.userId, t.deletedAt),
    index("vector_tombstones_deleted_idx").on(t.deletedAt),
  ],
);
