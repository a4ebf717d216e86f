import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  customType,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { id, softDelete, timestamps } from "./columns.ts";
import { users } from "./users.ts";

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/** Title and content as one text, for typo-tolerant trigram matching. */
export const entrySearchText = sql`(coalesce(title, '') || ' ' || content)`;

export const entries = pgTable(
  "entries",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title"),
    content: text("content").notNull(),
    mood: smallint("mood"),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    favorite: boolean("favorite").notNull().default(false),
    wordCount: integer("word_count").notNull().default(0),
    /** The moment the writer means (defaults to creation); "which day" is computed in their timezone. */
    occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Bumped on every content change so a late analysis of older content can be recognised and dropped. */
    contentVersion: integer("content_version").notNull().default(1),
    /**
     * SHA-256 of the Idempotency-Key the entry was created with: a retry whose first try committed but
     * whose answer (and Redis record) was lost finds this entry instead of writing a second one.
     */
    idempotencyKey: text("idempotency_key"),
    /** Full-text index, title weighted above content; Postgres keeps it in step with the row. */
    search: tsvector("search")
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', content), 'B')`,
      ),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    index("entries_search_idx").using("gin", t.search),
    index("entries_trgm_idx").using("gin", sql`(coalesce(title, '') || ' ' || content) gin_trgm_ops`),
    index("entries_user_tags_idx").using("gin", t.tags),
    index("entries_user_occurred_idx")
      .on(t.userId, t.occurredAt.desc(), t.id.desc())
      .where(sql`${t.deletedAt} is null`),
    // Nulls are distinct: entries created without a key never conflict.
    uniqueIndex("entries_user_idempotency_key_idx")
      .on(t.userId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
    check("entries_mood_check", sql`${t.mood} is null or ${t.mood} between 1 and 10`),
  ],
);
