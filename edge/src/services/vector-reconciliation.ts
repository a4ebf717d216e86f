import {
  CHECK_VECTORS_PAGE_SIZE,
  LIST_VECTORS_PAGE_SIZE,
  type ListVectorsJob,
  type ListVectorsResult,
  REINDEX_PAGE_SIZE,
  uuidv7,
  vectorListCursorSchema,
} from "@inkwell/shared";
import { and, asc, eq, gt, gte, inArray, isNull, min, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database, Tx } from "../db/client.ts";
import { entries, entryEmbeddings, jobs, users, vectorTombstones } from "../db/schema/index.ts";
import { log } from "../lib/log.ts";
import { lockOpenJob } from "./job-lock.ts";
import { purgeDeletedSince, queueEntryPurges } from "./vector-tombstones.ts";
import { lockEntries, lockWriters } from "./writer-locks.ts";

/** What the node lists for a record that names no writer. */
const UNKNOWN_WRITER = "unknown";

/**
 * Postgres ↔ Chroma reconciliation. Chroma is only an index of Postgres, but writes reach it from
 * several places (analyses, reindex pages) and deliveries can land late, so a vector can outlive its
 * entry there however carefully each path purges; and a vector can be missing from it: Chroma was down
 * or killed while an analysis wrote it (the node answers `indexed: false`), or it lost writes. Once a day
 * the edge runs a pass through one node at a time (`/jobs/list-vectors`), each page a job of its own,
 * retried alone like a reindex page:
 *
 * 1. listing: the node lists what the shared Chroma holds, a page of records at a time, and the edge
 *    purges every vector without a live entry of the same writer behind it (only Postgres knows what is
 *    alive);
 * 2. checking: the edge walks `entry_embeddings` in entry id order per model, CHECK_VECTORS_PAGE_SIZE
 *    live entries a page, and the node answers which of them its index lacks or holds of an older
 *    content version;
 * 3. restoring: those entries' vectors are sent back from Postgres in pages of REINDEX_PAGE_SIZE, read
 *    when the page is built (the latest version Postgres holds, never a deleted or tombstoned entry),
 *    and written where no newer version lies.
 *
 * Between passes, the minute cron restores what an analysis reported it could not index
 * (`queueUnindexedRestores`), so a Chroma outage is repaired within minutes, not by the next day's pass.
 */
export const RECONCILE_VECTORS_JOB = "reconcile-vectors";

const listPhase = z.object({ cursor: vectorListCursorSchema.nullable() });
const checkPhase = z.object({
  /** Where the check goes on: after this entry of this model; null model: the first one. */
  check: z.object({ model: z.string().nullable(), after: z.string().nullable() }),
  /** Filled in when the page is built: its last entry, so the next page starts after it. */
  pageEnd: z.string().optional(),
});
const restorePhase = z.object({
  restore: z.object({ model: z.string(), entryIds: z.array(z.uuid()).max(REINDEX_PAGE_SIZE) }),
  /**
   * Filled in when the page is built: the version of each vector sent, and their writers. A page built
   * again (an attempt whose delivery failed) sends anew, but keeps the writers of every build: an earlier
   * attempt may have written their vectors.
   */
  sent: z.record(z.string(), z.number().int()).optional(),
  userIds: z.array(z.string()).optional(),
});
export const reconcilePayload = z.union([restorePhase, checkPhase, listPhase]);

type JobRow = typeof jobs.$inferSelect;
type Built =
  | { kind: "publish"; body: ListVectorsJob }
  | { kind: "finish"; note: string; dispatchAfter?: string[] };

/** A live entry of a live writer whose vectors were never tombstoned: what may stand in the index. */
const liveEmbedding = () =>
  and(
    isNull(entries.deletedAt),
    isNull(users.deletedAt),
    sql`not exists (select 1 from ${vectorTombstones} where ${vectorTombstones.entryId} = ${entryEmbeddings.entryId})`,
  );

/** The first embedding model after `model` (null: the first of all), by name. */
async function modelAfter(db: Database, model: string | null): Promise<string | null> {
  const [row] = await db
    .select({ model: min(entryEmbeddings.model) })
    .from(entryEmbeddings)
    .where(model === null ? undefined : gt(entryEmbeddings.model, model));
  return row?.model ?? null;
}

/** The next check page: live entries with a vector after the cursor, the next model once one is done. */
async function checkRows(db: Database, cursor: { model: string | null; after: string | null }) {
  let model = cursor.model ?? (await modelAfter(db, null));
  let after = cursor.model === null ? null : cursor.after;
  while (model !== null) {
    const rows = await db
      .select({
        entryId: entryEmbeddings.entryId,
        userId: entryEmbeddings.userId,
        contentVersion: entryEmbeddings.contentVersion,
      })
      .from(entryEmbeddings)
      .innerJoin(entries, eq(entries.id, entryEmbeddings.entryId))
      .innerJoin(users, eq(users.id, entries.userId))
      .where(
        and(
          eq(entryEmbeddings.model, model),
          after ? gt(entryEmbeddings.entryId, after) : undefined,
          eq(entries.userId, entryEmbeddings.userId),
          liveEmbedding(),
        ),
      )
      .orderBy(asc(entryEmbeddings.entryId))
      .limit(CHECK_VECTORS_PAGE_SIZE);
    if (rows.length > 0) return { model, after, rows };
    model = await modelAfter(db, model);
    after = null;
  }
  return undefined;
}

/** The page request: a listing page, a check page or a restore page, as the job's payload says. */
export async function buildReconcileVectors(db: Database, job: JobRow, attempt: number): Promise<Built> {
  const parsed = reconcilePayload.safeParse(job.payload);
  // A page this edge cannot read would fail every attempt the same way: it is finished, saying why.
  if (!parsed.success) return { kind: "finish", note: "Not a page of a pass or restore: nothing to do." };
  const payload = parsed.data;
  const base = { jobId: job.id, attempt, limit: LIST_VECTORS_PAGE_SIZE };
  if ("cursor" in payload) return { kind: "publish", body: { ...base, cursor: payload.cursor } };
  if ("check" in payload) {
    const page = await checkRows(db, payload.check);
    if (!page) return { kind: "finish", note: "The pass is complete." };
    const pageEnd = page.rows.at(-1)?.entryId as string;
    await db
      .update(jobs)
      .set({ payload: { check: { model: page.model, after: page.after }, pageEnd } })
      .where(eq(jobs.id, job.id));
    return { kind: "publish", body: { ...base, check: { model: page.model, items: page.rows } } };
  }
  const { model, entryIds } = payload.restore;
  if (entryIds.length === 0) return { kind: "finish", note: "Nothing to restore." };
  const rows = await db
    .select({
      entryId: entryEmbeddings.entryId,
      userId: entryEmbeddings.userId,
      dims: entryEmbeddings.dims,
      embedding: entryEmbeddings.embedding,
      contentVersion: entryEmbeddings.contentVersion,
      occurredAt: entries.occurredAt,
    })
    .from(entryEmbeddings)
    .innerJoin(entries, eq(entries.id, entryEmbeddings.entryId))
    .innerJoin(users, eq(users.id, entries.userId))
    .where(
      and(
        inArray(entryEmbeddings.entryId, entryIds),
        eq(entryEmbeddings.model, model),
        eq(entries.userId, entryEmbeddings.userId),
        liveEmbedding(),
      ),
    )
    .orderBy(asc(entryEmbeddings.entryId));
  const first = rows[0];
  if (!first) {
    const note = "Nothing to restore: the entries are gone or analysed anew.";
    if (payload.sent === undefined) return { kind: "finish", note };
    // An earlier attempt went out and its node may have written what has been deleted since.
    const dispatchAfter = await purgeDeletedSince(db, {
      since: job.createdAt,
      entryIds,
      userIds: payload.userIds ?? [],
    });
    return { kind: "finish", note, dispatchAfter };
  }
  await db
    .update(jobs)
    .set({
      payload: {
        restore: payload.restore,
        sent: Object.fromEntries(rows.map((r) => [r.entryId, r.contentVersion])),
        userIds: [...new Set([...(payload.userIds ?? []), ...rows.map((r) => r.userId)])],
      },
    })
    .where(eq(jobs.id, job.id));
  return {
    kind: "publish",
    body: {
      ...base,
      restore: {
        model,
        dims: first.dims,
        items: rows.map((r) => ({
          entryId: r.entryId,
          userId: r.userId,
          occurredAt: r.occurredAt.toISOString(),
          embedding: r.embedding,
          contentVersion: r.contentVersion,
        })),
      },
    },
  };
}

/** Open pages of a pass (restores run beside passes and do not count). */
const openPassPage = () =>
  and(
    eq(jobs.kind, RECONCILE_VECTORS_JOB),
    inArray(jobs.status, ["queued", "running"]),
    sql`not (${jobs.payload} ? 'restore')`,
  );

/** Starts a pass unless one is under way; answers whether it did. */
export async function queueReconciliation(db: Database): Promise<boolean> {
  return await db.transaction(async (tx) => {
    // One pass at a time, even when two cron invocations overlap.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${RECONCILE_VECTORS_JOB}))`);
    const [open] = await tx.select({ id: jobs.id }).from(jobs).where(openPassPage()).limit(1);
    if (open) return false;
    await tx.insert(jobs).values({ id: uuidv7(), kind: RECONCILE_VECTORS_JOB, payload: { cursor: null } });
    return true;
  });
}

/** Queues restore pages for these entries' vectors of `model`; answers the jobs to dispatch. */
export async function queueRestores(
  tx: Database | Tx,
  model: string,
  entryIds: readonly string[],
): Promise<string[]> {
  const unique = [...new Set(entryIds)];
  const ids: string[] = [];
  for (let start = 0; start < unique.length; start += REINDEX_PAGE_SIZE) {
    const id = uuidv7();
    await tx.insert(jobs).values({
      id,
      kind: RECONCILE_VECTORS_JOB,
      payload: { restore: { model, entryIds: unique.slice(start, start + REINDEX_PAGE_SIZE) } },
    });
    ids.push(id);
  }
  return ids;
}

/** How far back the minute cron looks for analyses that could not write their vector. */
export const UNINDEXED_LOOKBACK_MINUTES = 15;
/** At most this many entries restored per minute; the daily pass catches any more. */
const UNINDEXED_PER_RUN = 1000;

/**
 * Restores what analyses reported they could not index (Chroma down, killed or refusing writes while
 * the node wrote): analyses finished in the last UNINDEXED_LOOKBACK_MINUTES (however long they waited
 * in the queue before) whose answer said `indexed: false` and whose vector Postgres still holds
 * unconfirmed, unless an open restore has them already. Read through the jobs' (status, finished_at)
 * index, so it costs what those minutes finished.
 * Answers the jobs to dispatch.
 */
export async function queueUnindexedRestores(db: Database, now = new Date()): Promise<string[]> {
  return await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('restore-vectors'))`);
    const since = new Date(now.getTime() - UNINDEXED_LOOKBACK_MINUTES * 60_000);
    const rows = await tx
      .selectDistinct({ entryId: entryEmbeddings.entryId, model: entryEmbeddings.model })
      .from(jobs)
      .innerJoin(entryEmbeddings, eq(entryEmbeddings.entryId, jobs.entryId))
      .innerJoin(entries, eq(entries.id, entryEmbeddings.entryId))
      .innerJoin(users, eq(users.id, entries.userId))
      .where(
        and(
          eq(jobs.status, "done"),
          gte(jobs.finishedAt, since),
          eq(jobs.kind, "analyze-entry"),
          sql`${jobs.result}->>'indexed' = 'false'`,
          isNull(entryEmbeddings.indexedAt),
          liveEmbedding(),
        ),
      )
      .limit(UNINDEXED_PER_RUN);
    if (rows.length === 0) return [];
    const open = await tx
      .select({ payload: jobs.payload })
      .from(jobs)
      .where(
        and(
          eq(jobs.kind, RECONCILE_VECTORS_JOB),
          inArray(jobs.status, ["queued", "running"]),
          sql`${jobs.payload} ? 'restore'`,
        ),
      );
    const pending = new Set(
      open.flatMap((job) => {
        const parsed = restorePhase.safeParse(job.payload);
        return parsed.success ? parsed.data.restore.entryIds : [];
      }),
    );
    const byModel = new Map<string, string[]>();
    for (const row of rows) {
      if (!pending.has(row.entryId)) byModel.set(row.model, [...(byModel.get(row.model) ?? []), row.entryId]);
    }
    const dispatch: string[] = [];
    for (const [model, entryIds] of byModel) dispatch.push(...(await queueRestores(tx, model, entryIds)));
    const queued = [...byModel.values()].reduce((n, ids) => n + ids.length, 0);
    if (queued > 0) log.info("unindexed vectors queued for restore", { count: queued });
    return dispatch;
  });
}

export interface ReconcileOutcome {
  outcome: "applied" | "duplicate" | "unknown-job";
  /** Purge, restore and next-page jobs to dispatch once the transaction has committed. */
  dispatch: string[];
}

/**
 * What of a node's `missing` answer the edge acts on: entry ids of the page it sent, those after `after`
 * up to and including `pageEnd` (UUIDs in canonical lower case sort as Postgres sorts them). A node is not
 * trusted: anything else (not a UUID, another page's entry) is dropped rather than restored.
 */
function missingOfPage(missing: readonly string[], after: string | null, pageEnd: string | undefined) {
  if (pageEnd === undefined) return [];
  const end = pageEnd.toLowerCase();
  const start = after?.toLowerCase() ?? null;
  const ids = new Set<string>();
  for (const raw of missing) {
    if (!z.uuid().safeParse(raw).success) continue;
    const id = raw.toLowerCase();
    if ((start === null || id > start) && id <= end) ids.add(id);
  }
  return [...ids];
}

/** Finishes a page: done with what it found, or failed when the node could not do what it asked. */
async function finishPage(tx: Tx, jobId: string, result: Record<string, unknown>, error?: string) {
  const now = new Date();
  await tx
    .update(jobs)
    .set({
      status: error ? "failed" : "done",
      error: error ?? null,
      finishedAt: now,
      updatedAt: now,
      result: error ? { ...result, failure: "permanent" } : result,
    })
    .where(eq(jobs.id, jobId));
}

/** An answer without the part its page asked for comes from a node older than the edge. */
const OLDER_NODE =
  "The node that answered does not check or restore vectors: it is older than the edge. Upgrade the nodes; the next pass repairs the index.";

/**
 * Applies one page of a pass or a restore. A listing page purges every vector whose entry is not live in
 * Postgres with the same writer (deleted, gone with its account, never written there, or filed under
 * someone else) and queues the next page, or the first check page once the listing is done. A live
 * entry's vector of another writer would show in that writer's search, so it goes too, and the entry's
 * embedding is marked unindexed for a check to put its own vector back. A check page queues restores
 * of what the node lacks, and the next check page. A restore page marks the vectors it sent as indexed
 * and purges once more whatever of them was deleted since it was queued: the node may have written it
 * after the delete's purge ran.
 */
export async function applyReconcilePage(
  db: Database,
  jobId: string,
  result: ListVectorsResult,
): Promise<ReconcileOutcome> {
  return await db.transaction(async (tx) => {
    const locked = await lockOpenJob(tx, jobId);
    if ("outcome" in locked) return { outcome: locked.outcome, dispatch: [] };
    const payload = reconcilePayload.safeParse(locked.job.payload);
    if (payload.success && "check" in payload.data) {
      if (!result.missing) {
        await finishPage(tx, jobId, {}, OLDER_NODE);
        return { outcome: "applied", dispatch: [] };
      }
      const { check, pageEnd } = payload.data;
      const missing = missingOfPage(result.missing, check.after, pageEnd);
      if (missing.length < result.missing.length) {
        log.warn("a check answer named entries outside its page; they are ignored", {
          jobId,
          ignored: result.missing.length - missing.length,
        });
      }
      const dispatch =
        missing.length > 0 && check.model !== null ? await queueRestores(tx, check.model, missing) : [];
      if (pageEnd) {
        const next = uuidv7();
        await tx.insert(jobs).values({
          id: next,
          kind: RECONCILE_VECTORS_JOB,
          payload: { check: { model: check.model, after: pageEnd } },
        });
        dispatch.push(next);
      }
      await finishPage(tx, jobId, { missing: missing.length });
      if (missing.length > 0) log.info("vectors missing from the index", { count: missing.length });
      return { outcome: "applied", dispatch };
    }
    if (payload.success && "restore" in payload.data) {
      if (result.restored === undefined) {
        await finishPage(tx, jobId, {}, OLDER_NODE);
        return { outcome: "applied", dispatch: [] };
      }
      const { restore, sent = {}, userIds = [] } = payload.data;
      const entryIds = Object.keys(sent);
      const [job] = await tx.select({ createdAt: jobs.createdAt }).from(jobs).where(eq(jobs.id, jobId));
      // Writers' rows, then their entries, before the embeddings (writer-locks.ts).
      await lockWriters(tx, userIds);
      await lockEntries(tx, entryIds);
      if (entryIds.length > 0) {
        // Only the versions sent: a newer analysis landed since keeps its own state.
        await tx.execute(sql`
          update ${entryEmbeddings} set indexed_at = now(), updated_at = now()
          from jsonb_each_text(${JSON.stringify(sent)}::jsonb) as sent(entry_id, version)
          where ${entryEmbeddings.entryId} = sent.entry_id::uuid
            and ${entryEmbeddings.contentVersion} = sent.version::int
            and ${entryEmbeddings.model} = ${restore.model}`);
      }
      // Over every entry asked for and every writer of any build, not only this build's: an earlier
      // attempt whose delivery failed may have written an entry deleted before this one was built.
      const dispatch = await purgeDeletedSince(tx, {
        since: job?.createdAt ?? new Date(0),
        entryIds: restore.entryIds,
        userIds,
      });
      await finishPage(tx, jobId, { restored: result.restored });
      log.info("vectors restored from Postgres", { count: result.restored });
      return { outcome: "applied", dispatch };
    }
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
    // The listing goes on, or the pass turns to checking Postgres's vectors against the index.
    const next = uuidv7();
    await tx.insert(jobs).values({
      id: next,
      kind: RECONCILE_VECTORS_JOB,
      payload: result.next ? { cursor: result.next } : { check: { model: null, after: null } },
    });
    dispatch.push(next);
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
