import { index, integer, pgTable, real, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { timestamps } from "./columns.ts";
import { entries } from "./entries.ts";
import { users } from "./users.ts";

/**
 * The embedding of each analysed entry: the source of truth for vectors. Chroma is an index built from
 * it (and rebuilt from it by reindex jobs), so a wiped or new vector store recovers without re-embedding.
 */
export const entryEmbeddings = pgTable(
  "entry_embeddings",
  {
    entryId: uuid("entry_id")
      .primaryKey()
      .references(() => entries.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Vectors of different models are not comparable; Chroma keeps one collection per model. */
    model: text("model").notNull(),
    dims: integer("dims").notNull(),
    embedding: real("embedding").array().notNull(),
    contentVersion: integer("content_version").notNull(),
    /** When a node confirmed the vector is in Chroma; null sends it back through a reindex. */
    indexedAt: timestamp("indexed_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    index("entry_embeddings_model_idx").on(t.model, t.entryId),
    index("entry_embeddings_user_idx").on(t.userId),
  ],
);
