import { uuidv7 } from "@inkwell/shared";
import { and, eq, gt, gte, inArray, isNull, lt, lte, or } from "drizzle-orm";
import { z } from "zod";
import type { Database, Tx } from "../db/client.ts";
import { jobs, vectorTombstones } from "../db/schema/index.ts";
import { PURGE_USER_VECTORS_JOB } from "./account-deletion.ts";
import { PURGE_ENTRY_VECTORS_JOB } from "./entries.ts";

/**
 * Tombstones outlive every delivery that could still be in flight (QStash's retries, a running lease,
 * purges backing off for hours) by a wide margin; the retention sweep removes older ones.
 */
export const TOMBSTONE_KEEP_DAYS = 30;
/** Entry ids per purge job: the node's purge body takes at most 1,000. */
const PURGE_BATCH = 1000;

/** Records that these entries of one writer were deleted: their vectors must not come back. */
export async function tombstoneEntries(
  tx: Database | Tx,
  userId: string,
  entryIds: readonly string[],
): Promise<void> {
  if (entryIds.length === 0) return;
  await tx.insert(vectorTombstones).values(entryIds.map((entryId) => ({ id: uuidv7(), userId, entryId })));
}

/** Records that an account was deleted: no vector of its writer may come back. */
export async function tombstoneUser(tx: Database | Tx, userId: string): Promise<void> {
  await tx.insert(vectorTombstones).values({ id: uuidv7(), userId, entryId: null });
}

/**
 * Queues purge jobs for these entries, in batches the node accepts. The jobs reference neither the
 * entries nor the writer, so neither a hard delete nor an account's cascade can take them away before
 * they ran. With `userId` (every entry is that writer's) the payload names the writer, and the node
 * touches only that writer's collections; without, it looks in every writer's. Answers the jobs' ids,
 * for the caller to dispatch after its transaction commits.
 */
export async function queueEntryPurges(
  tx: Database | Tx,
  entryIds: readonly string[],
  userId?: string,
): Promise<string[]> {
  const ids: string[] = [];
  const unique = [...new Set(entryIds)];
  for (let start = 0; start < unique.length; start += PURGE_BATCH) {
    const id = uuidv7();
    await tx.insert(jobs).values({
      id,
      kind: PURGE_ENTRY_VECTORS_JOB,
      payload: { entryIds: unique.slice(start, start + PURGE_BATCH), ...(userId ? { userId } : {}) },
    });
    ids.push(id);
  }
  return ids;
}

/** Queues a purge of every vector of each of these (deleted) writers. */
export async function queueUserPurges(tx: Database | Tx, userIds: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const userId of new Set(userIds)) {
    const id = uuidv7();
    await tx.insert(jobs).values({ id, kind: PURGE_USER_VECTORS_JOB, payload: { userId } });
    ids.push(id);
  }
  return ids;
}

export interface DeletedScope {
  /** Only deletions recorded at or after this time: the moment the late write's job was made. */
  since: Date;
  entryIds?: readonly string[];
  /** Entries with ids in (`after`, `through`]: a reindex page. */
  entryRange?: { after: string | null; through: string };
  userIds?: readonly string[];
}

/**
 * A delivery built before a delete can write vectors into Chroma after the delete's purge ran. Whatever
 * in its scope was deleted since it was made is purged once more; answers the purge jobs to dispatch.
 */
export async function purgeDeletedSince(tx: Database | Tx, scope: DeletedScope): Promise<string[]> {
  const entryConditions = [
    scope.entryIds && scope.entryIds.length > 0
      ? inArray(vectorTombstones.entryId, [...scope.entryIds])
      : undefined,
    scope.entryRange
      ? and(
          scope.entryRange.after ? gt(vectorTombstones.entryId, scope.entryRange.after) : undefined,
          lte(vectorTombstones.entryId, scope.entryRange.through),
        )
      : undefined,
  ].filter((condition) => condition !== undefined);
  const purges: string[] = [];
  if (entryConditions.length > 0) {
    const rows = await tx
      .selectDistinct({ entryId: vectorTombstones.entryId, userId: vectorTombstones.userId })
      .from(vectorTombstones)
      .where(and(gte(vectorTombstones.deletedAt, scope.since), or(...entryConditions)));
    const byWriter = new Map<string, string[]>();
    for (const row of rows) {
      if (row.entryId) byWriter.set(row.userId, [...(byWriter.get(row.userId) ?? []), row.entryId]);
    }
    for (const [userId, entryIds] of byWriter) purges.push(...(await queueEntryPurges(tx, entryIds, userId)));
  }
  if (scope.userIds && scope.userIds.length > 0) {
    const rows = await tx
      .selectDistinct({ userId: vectorTombstones.userId })
      .from(vectorTombstones)
      .where(
        and(
          isNull(vectorTombstones.entryId),
          inArray(vectorTombstones.userId, [...scope.userIds]),
          gte(vectorTombstones.deletedAt, scope.since),
        ),
      );
    purges.push(
      ...(await queueUserPurges(
        tx,
        rows.map((r) => r.userId),
      )),
    );
  }
  return purges;
}

const deliveredSchema = z.object({ entryId: z.uuid().optional(), userId: z.uuid().optional() });

/**
 * A callback whose job is gone: an account deletion takes the writer's jobs with it, but an analysis
 * delivered just before still wrote its vector. If the delivered message names an entry or a writer with
 * a tombstone, that is purged again; anything else (no tombstone) is left alone, so a callback can only
 * ever remove what was deleted already.
 */
export async function purgeForOrphanedDelivery(db: Database, delivered: unknown): Promise<string[]> {
  const parsed = deliveredSchema.safeParse(delivered);
  if (!parsed.success) return [];
  const { entryId, userId } = parsed.data;
  if (!entryId && !userId) return [];
  const rows = await db
    .select({ userId: vectorTombstones.userId, entryId: vectorTombstones.entryId })
    .from(vectorTombstones)
    .where(
      or(
        entryId ? eq(vectorTombstones.entryId, entryId) : undefined,
        userId ? and(eq(vectorTombstones.userId, userId), isNull(vectorTombstones.entryId)) : undefined,
      ),
    )
    .limit(1);
  const tombstone = rows[0];
  if (!tombstone) return [];
  return tombstone.entryId
    ? await queueEntryPurges(db, [tombstone.entryId])
    : await queueUserPurges(db, [tombstone.userId]);
}

/** Removes tombstones past the keep period; answers how many. */
export async function pruneTombstones(db: Database, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - TOMBSTONE_KEEP_DAYS * 86_400_000);
  const removed = await db
    .delete(vectorTombstones)
    .where(lt(vectorTombstones.deletedAt, cutoff))
    .returning({ id: vectorTombstones.id });
  return removed.length;
}
