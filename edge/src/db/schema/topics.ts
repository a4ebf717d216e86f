import { sql } from "drizzle-orm";
import { boolean, check, index, pgTable, real, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns.ts";
import { users } from "./users.ts";

/** Topics a writer made, and topics discovered from their entries (kept apart by `kind`). */
export const topics = pgTable(
  "topics",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Plaintext of a description stored before encryption; new ones go to `description_ct`. */
    description: text("description"),
    /** The description, sealed with the writer's data key (docs/design/encryption.md); null when none. */
    descriptionCt: text("description_ct"),
    color: text("color"),
    kind: text("kind", { enum: ["user", "discovered"] })
      .notNull()
      .default("user"),
    /** Discovered topics: their most distinctive words (class-based TF-IDF), best first. */
    keywords: text("keywords").array(),
    /** The keywords as a sealed JSON array; `keywords` is then null. */
    keywordsCt: text("keywords_ct"),
    /** Discovered topics: the cluster's centre, so the next run can keep this topic's id. */
    centroid: real("centroid").array(),
    /** Discovered topics: the embedding model the centroid lives in. */
    model: text("model"),
    /** The writer renamed this discovered topic: later discovery runs keep their name. */
    nameSetByUser: boolean("name_set_by_user").notNull().default(false),
    ...timestamps,
  },
  (t) => [
    index("topics_user_idx").on(t.userId, t.createdAt),
    // Two topics of one person with the same name would be indistinguishable in every list.
    uniqueIndex("topics_user_name_idx").on(t.userId, t.kind, sql`lower(${t.name})`),
    // Rows still in plaintext, for the encrypt-rows job (encrypt-rows.ts); empty once it has run.
    index("topics_plaintext_idx")
      .on(t.id)
      .where(sql`${t.description} is not null or ${t.keywords} is not null`),
    check("topics_kind_check", sql`${t.kind} in ('user', 'discovered')`),
  ],
);
