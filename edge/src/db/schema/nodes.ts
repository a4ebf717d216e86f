import type { Hardware, ModelTask, NodeLoad } from "@inkwell/shared";
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
import { nodeJoinSecrets } from "./node-join-secrets.ts";

/** Inference nodes registered by an operator; the token is shown once and only its hash is kept. */
export const nodes = pgTable(
  "nodes",
  {
    id: id(),
    name: text("name").notNull(),
    /** Where QStash delivers: set by an administrator only (registration or `PATCH /v1/admin/nodes/{id}`). */
    url: text("url").notNull(),
    /** A different URL the node's heartbeat reports: shown to administrators, never used for routing. */
    reportedUrl: text("reported_url"),
    tokenHash: text("token_hash").notNull(),
    /**
     * With NODE_TOKEN_SECRET, re-derives the node's token (`deriveNodeToken`) so the edge can sign its
     * requests to the node; null for a node registered without one, which then gets no interactive calls.
     */
    tokenSalt: text("token_salt"),
    status: text("status", { enum: ["healthy", "draining", "offline"] })
      .notNull()
      .default("offline"),
    draining: boolean("draining").notNull().default(false),
    version: text("version"),
    hardware: jsonb("hardware").$type<Hardware>(),
    models: jsonb("models").$type<{ id: string; task: ModelTask }[]>().notNull().default([]),
    load: jsonb("load").$type<NodeLoad>(),
    lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true, mode: "date" }),
    /**
     * Set when QStash could not reach the node; it gets no new work until a heartbeat newer than this
     * proves it is back, instead of receiving jobs until its heartbeat goes stale.
     */
    unreachableSince: timestamp("unreachable_since", { withTimezone: true, mode: "date" }),
    /** The join secret a replica enrolled with; null for a node an administrator registered by hand. */
    joinSecretId: uuid("join_secret_id").references(() => nodeJoinSecrets.id, { onDelete: "set null" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("nodes_name_idx").on(t.name),
    uniqueIndex("nodes_token_hash_idx").on(t.tokenHash),
    // A replica that enrolls again (a restart) gets its node back by URL rather than a new one.
    index("nodes_join_secret_url_idx").on(t.joinSecretId, t.url),
    check("nodes_status_check", sql`${t.status} in ('healthy', 'draining', 'offline')`),
  ],
);
