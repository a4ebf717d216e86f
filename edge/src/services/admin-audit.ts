import {
  type AdminAuditAction,
  type AdminAuditDetail,
  type AdminAuditEntry,
  type AdminAuditTargetType,
  uuidv7,
} from "@inkwell/shared";
import type { Database, Tx } from "../db/client.ts";
import { adminAuditLog } from "../db/schema/index.ts";

export interface AdminAction {
  actorId: string;
  action: AdminAuditAction;
  targetType: AdminAuditTargetType;
  targetId: string | null;
  /** A few facts (a name, a count); never entry text, tokens, secrets or an account's email. */
  detail?: AdminAuditDetail;
}

/**
 * Writes one audit row. Inside the action's own transaction where the action has one, so an action
 * and its record commit together; otherwise right after the action succeeded. A replayed
 * `Idempotency-Key` answers from the stored response and records nothing twice.
 */
export async function recordAdminAction(db: Database | Tx, action: AdminAction): Promise<void> {
  await db.insert(adminAuditLog).values({
    id: uuidv7(),
    actorId: action.actorId,
    action: action.action,
    targetType: action.targetType,
    targetId: action.targetId,
    detail: action.detail ?? {},
  });
}

export function toAuditEntry(row: typeof adminAuditLog.$inferSelect): AdminAuditEntry {
  return {
    id: row.id,
    actorId: row.actorId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    detail: row.detail,
    createdAt: row.createdAt.toISOString(),
  };
}
