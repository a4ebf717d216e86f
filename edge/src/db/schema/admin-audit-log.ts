import type { AdminAuditAction, AdminAuditDetail, AdminAuditTargetType } from "@inkwell/shared";
import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns.ts";
import { users } from "./users.ts";

/**
 * What administrators did: who, which action, on what, when, and a few facts about it. Never entry
 * text, tokens or secrets. The target is an id, not a reference: the record of deleting an account or
 * a node outlives it. Kept with no expiry; the actor goes to null when their own account is deleted.
 */
export const adminAuditLog = pgTable(
  "admin_audit_log",
  {
    id: id(),
    actorId: uuid("actor_id").references(() => users.id, { onDelete: "set null" }),
    action: text("action").$type<AdminAuditAction>().notNull(),
    targetType: text("target_type").$type<AdminAuditTargetType>().notNull(),
    targetId: text("target_id"),
    detail: jsonb("detail").$type<AdminAuditDetail>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("admin_audit_log_created_idx").on(t.createdAt.desc(), t.id.desc()),
    index("admin_audit_log_target_idx").on(t.targetId, t.createdAt.desc()),
    index("admin_audit_log_actor_idx").on(t.actorId),
  ],
);
