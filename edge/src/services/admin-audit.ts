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
 * Writes one audit row, always inside the action's own transaction: an action and its record commit
 * together or not at all, so the log never misses a change that happened nor shows one that did not.
 * A replayed `Idempotency-Key` answers from the stored response and records nothing twice.
 */
export async function recordAdminAction(tx: Tx, action: AdminAction): Promise<void> {
  await tx.insert(adminAuditLog).values({
    id: uuidv7(),
    actorId: action.actorId,
    action: action.action,
    targetType: action.targetType,
    targetId: action.targetId,
    detail: action.detail ?? {},
  });
}

/**
 * Runs an administrator's change and writes its audit row in one transaction. `record` sees what the
 * change returned (a new id, a count). Anything sent outside Postgres (caches, QStash) belongs after
 * this returns, since a transaction may run again (db/client.ts).
 */
export async function audited<T>(
  db: Database,
  change: (tx: Tx) => Promise<T>,
  record: (result: T) => AdminAction,
): Promise<T> {
  return await db.transaction(async (tx) => {
    const result = await change(tx);
    await recordAdminAction(tx, record(result));
    return result;
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
