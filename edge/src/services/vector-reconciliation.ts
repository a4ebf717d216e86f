import {
  LIST_VECTORS_PAGE_SIZE,
  type ListVectorsJob,
  type ListVectorsResult,
  uuidv7,
  vectorListCursorSchema,
} from "@inkwell/shared";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { entries, entryEmbeddings, jobs, users } from "../db/schema/index.ts";
import { log } from "../lib/log.ts";
import { lockOpenJob } from "./job-lock.ts";
import { queueEntryPurges } from "./vector-tombstones.ts";
import { lockEntries, lockWriters } from "./writer-locks.ts";

/** What the node lists for a record that names no writer. */
const UNKNOWN_WRITER = "unknown";

/**
 * Postgres ↔ Chroma reconciliation. Chroma is only an index of Postgres, but writes reach it from
 * several places (analyses, reindex pages) and deliveries can land late, so a vector can outlive its
 * entry there however carefully each path purges. Once a day the edge walks the shared Chroma a page at a
 * time through one node (`/jobs/list-vectors`): the node only lists what it holds, since only Postgres
 * knows what is alive, and the edge purges every vector without a live entry of the same writer behind it.
 * Each page is a job of its own, retried alone like a reindex page; a pass ends when the node reports no
 * next page, and the next one starts the following day.
 */
export const RECONCILE_VECTORS_JOB = "reconcile-vectors";

export const reconcilePayload = z.object({ cursor: vectorListCursorSchema.nullable() });

type JobRow = typeof jobs.$inferSelect;

/** The page request: where the listing goes on, and how much one delivery reads. */
export async function buildReconcileVectors(
  _db: Database,
  job: JobRow,
  attempt: number,
): Promise<{ kind: "publish"; body: ListVectorsJob }> {
  const { cursor } = reconcilePayload.parse(job.payload);
  return { kind: "publish", body: { jobId: job.id, attempt, cursor, limit: LIST_VECTORS_PAGE_SIZE } };
}

/** Starts a pass unless one is under way; answers whether it did. */
export async function queueReconciliation(db: Database): Promise<boolean> {
  return await db.transaction(async (tx) => {
    // One pass at a time, even when two cron invocations overlap.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${RECONCILE_VECTORS_JOB}))`);
    const [open] = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.kind, RECONCILE_VECTORS_JOB), inArray(jobs.status, ["queued", "running"])))
      .limit(1);
    if (open) return false;
    await tx.insert(jobs).values({ id: uuidv7(), kind: RECONCILE_VECTORS_JOB, payload: { cursor: null } });
    return true;
  });
}

export interface ReconcileOutcome {
  outcome: "applied" | "duplicate" | "unknown-job";
  /** Purge and next-page jobs to dispatch once the transaction has committed. */
  dispatch: string[];
}

/**
 * Applies one listed page: every vector whose entry is not live in Postgres with the same writer (deleted,
 * gone with its account, never written there, or filed under someone else) is purged, and the next page
 * is queued. A live entry's vector of another writer would show in that writer's search, so it goes too,
 * and the entry's embedding is marked unindexed for a reindex to put its own vector back.
 */
export async function applyReconcilePage(
  db: Database,
  jobId: string,
  result: ListVectorsResult,
): Promise<ReconcileOutcome> {
  return await db.transaction(async (tx) => {
    const locked = await lockOpenJob(tx, jobId);
    if ("outcome" in locked) return { outcome: locked.outcome, dispatch: [] };
    const entryIds = [...new Set(result.items.map((item) => item.entryId))];
    const uuids = entryIds.filter((id) => z.uuid().safeParse(id).success);
    const live =
      uuids.length === 0
        ? []
        : await tx
            .select({ id: entries.id, userId: entries.userId })
            .from(entries)
            .innerJoin(users, eq(users.id, entries.userId))
            .where(and(inArray(entries.id, uuids), isNull(entries.deletedAt), isNull(users.deletedAt)));
    const owner = new Map(live.map((row) => [row.id, row.userId]));
    const orphans = result.items.filter((item) => owner.get(item.entryId) !== item.userId);
    const orphanIds = [...new Set(orphans.map((item) => item.entryId))];
    const misfiled = orphanIds.filter((id) => owner.has(id));
    if (misfiled.length > 0) {
      // Other writers' rows: their users rows, then their entries, before the embeddings (writer-locks.ts).
      await lockWriters(
        tx,
        misfiled.flatMap((id) => owner.get(id) ?? []),
      );
      await lockEntries(tx, misfiled);
      await tx
        .update(entryEmbeddings)
        .set({ indexedAt: null })
        .where(inArray(entryEmbeddings.entryId, misfiled));
    }
    // Per writer the listing filed them under, so each purge opens only that writer's collections; a
    // record without an owner ("unknown") is purged wherever it lies.
    const byWriter = new Map<string, string[]>();
    for (const item of orphans)
      byWriter.set(item.userId, [...(byWriter.get(item.userId) ?? []), item.entryId]);
    const dispatch: string[] = [];
    for (const [userId, entryIds] of byWriter) {
      dispatch.push(
        ...(await queueEntryPurges(tx, entryIds, userId === UNKNOWN_WRITER ? undefined : userId)),
      );
    }
    if (result.next) {
      const next = uuidv7();
      await tx
        .insert(jobs)
        .values({ id: next, kind: RECONCILE_VECTORS_JOB, payload: { cursor: result.next } });
      dispatch.push(next);
    }
    const now = new Date();
    await tx
      .update(jobs)
      .set({
        status: "done",
        error: null,
        finishedAt: now,
        updatedAt: now,
        result: { listed: result.items.length, purged: orphanIds.length, more: result.next !== null },
      })
      .where(eq(jobs.id, jobId));
    if (orphanIds.length > 0) {
      log.info("vectors without a live entry purged", { count: orphanIds.length });
    }
    return { outcome: "applied", dispatch };
  });
}
