import { index, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { timestamps } from "./columns.ts";
import { users } from "./users.ts";

/**
 * Each user's data key, only ever stored wrapped under a version of the root key (a Worker secret that is
 * never in Postgres), so a copy of this table reads as noise. Deleting a user's rows here is what makes
 * their ciphertexts unreadable for good (docs/design/encryption.md).
 */
export const userDataKeys = pgTable(
  "user_data_keys",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Named in every ciphertext made with this key, so a later user-key rotation can tell them apart. */
    version: integer("version").notNull(),
    /** The DATA_ROOT_KEYS version the key is wrapped under; a root rotation re-wraps and raises it. */
    rootVersion: integer("root_version").notNull(),
    /** base64url of IV, ciphertext and tag (AES-256-GCM, bound to the user id and both versions). */
    wrappedKey: text("wrapped_key").notNull(),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.version] }),
    index("user_data_keys_root_version_idx").on(t.rootVersion),
  ],
);
