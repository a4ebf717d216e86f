import { pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { id } from "./columns.ts";

/**
 * Join secrets: one lets any number of replicas enroll as nodes of their own. Shown once; only the
 * SHA-256 is kept. Revoking one stops new enrollments; the nodes it enrolled stay until removed.
 */
export const nodeJoinSecrets = pgTable(
  "node_join_secrets",
  {
    id: id(),
    /** Enrolled nodes are named `<name>-<replica name>`. */
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    /** Hosts (`*` for one label or port) an enrolling replica's URL may name. */
    allowedHosts: text("allowed_hosts").array().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("node_join_secrets_secret_hash_idx").on(t.secretHash)],
);
