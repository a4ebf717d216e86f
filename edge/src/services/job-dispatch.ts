import {
  type AnalyzeEntryJob,
  DISCOVER_TOPICS_JOB,
  type PurgeVectorsJob,
  REINDEX_PAGE_SIZE,
  type ReindexJob,
} from "@inkwell/shared";
import type { Client as QStashClient } from "@upstash/qstash";
import { and, asc, eq, gt, inArray, isNull, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { DataKeyring, rootKeysOf } from "../crypto/data-keys.ts";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database, Tx } from "../db/client.ts";
import {
  entries,
  entryAnalyses,
  entryEmbeddings,
  jobs,
  users,
  vectorTombstones,
} from "../db/schema/index.ts";
import type { AppConfig } from "../env.ts";
import { PURGE_USER_VECTORS_JOB } from "./account-deletion.ts";
import { ANALYZE_ENTRY_JOB, PURGE_ENTRY_VECTORS_JOB } from "./entries.ts";
import { type NodeCandidate, pickNode, schedulableNodes } from "./nodes.ts";
import {
  buildWriteReflection,
  WRITE_REFLECTION_JOB,
  WRITE_REFLECTION_TIMEOUT_SECONDS,
  writeStructuredInstead,
} from "./reflection-jobs.ts";
import { buildTitleSession, TITLE_SESSION_JOB, titleSessionWithoutNode } from "./session-title-job.ts";
import { buildDiscoverTopics } from "./topic-discovery-job.ts";
import { buildReconcileVectors, RECONCILE_VECTORS_JOB } from "./vector-reconciliation.ts";
import { purgeDeletedSince } from "./vector-tombstones.ts";

export const REINDEX_JOB = "reindex";

/** A job is handed to a node at most this many times before it is marked failed. */
export const MAX_ATTEMPTS = 3;
/**
 * Kinds retried with a growing delay once out of attempts, never failed: vectors of deleted entries
 * and accounts must leave the index eventually.
 */
export const NEVER_GIVE_UP: ReadonlySet<string> = new Set([PURGE_ENTRY_VECTORS_JOB, PURGE_USER_VECTORS_JOB]);

/** 30 s after the last regular attempt, doubling each time, at most 6 hours. */
export function purgeRetryDelayMs(attempts: number): number {
  return Math.min(6 * 3_600_000, 30_000 * 2 ** Math.max(0, attempts - MAX_ATTEMPTS));
}
/** QStash's own retries of one delivery (to the same node) before it calls the failure callback. */
export const QSTASH_RETRIES = 3;
/** Per delivery; a journal entry takes milliseconds to analyse, so a minute means the node is stuck. */
export const DELIVERY_TIMEOUT_SECONDS = 60;
/** How long past its kind's delivery timeout a `running` job may stay silent before the sweep reclaims it. */
export const LEASE_GRACE_MS = 60_000;

/**
 * A job `running` this long without any callback is presumed lost (an edge that died between claiming
 * and publishing, a message QStash dropped, a node that hangs): a delivery that is answered at all is
 * answered within its kind's timeout, so the lease is that timeout and a grace. QStash may still be
 * retrying a hung node when the lease ends; those retries name the attempt they belong to, and a late
 * failure of an older attempt changes nothing, a late success is applied once.
 */
export function runningLeaseMs(kind: string): number {
  return (JOB_KINDS[kind]?.timeoutSeconds ?? DELIVERY_TIMEOUT_SECONDS) * 1000 + LEASE_GRACE_MS;
}

/**
 * A job failed for a cause that clears by itself (no node answered, a node timed out, answered 5xx or
 * garbage) is queued again by the sweep after a pause, one attempt each time, until it has had this many
 * attempts in all; then it stays failed for an administrator. A failure the node meant (a 4xx, a result
 * for another vector space) is never retried on its own.
 */
export const MAX_TOTAL_ATTEMPTS = MAX_ATTEMPTS + 6;

/** The pause before a failed job's next retry: 30 s after its last regular attempt, doubling, at most 10 min. */
export function failedRetryDelayMs(attempts: number): number {
  return Math.min(10 * 60_000, 30_000 * 2 ** Math.max(0, attempts - MAX_ATTEMPTS));
}

/** Marks a failed job's cause, in its `result`: the sweep retries only failures whose cause was transient. */
export function failureResult(transient: boolean): Record<string, unknown> {
  return { failure: transient ? "transient" : "permanent" };
}
/** Deliveries in flight per node on the real QStash (flow control); the node batches within that. */
const NODE_PARALLELISM = 32;

export const CALLBACK_PATH = "/internal/qstash/callback";
export const FAILURE_PATH = "/internal/qstash/failure";

export interface PipelineDeps {
  db: Database;
  qstash: QStashClient;
  config: AppConfig;
  /** Travels to QStash and the node as X-Request-Id, so one id ties the logs of a write together. */
  requestId?: string;
  /** The request's keyring; a cron run or a test without one gets its own (pipelineKeys). */
  keys?: KeySource;
}

/** The data keys a pipeline run seals and opens journal text with (docs/design/encryption.md). */
export function pipelineKeys(deps: Pick<PipelineDeps, "db" | "config" | "keys">): KeySource {
  return deps.keys ?? new DataKeyring(deps.db, rootKeysOf(deps.config));
}

type JobRow = typeof jobs.$inferSelect;
type ModelTask = "embedding" | "sentiment" | "emotion" | "llm";

/** `dispatchAfter`: jobs the finish queued (a purge), dispatched once it is recorded. */
type Built = { kind: "publish"; body: object } | { kind: "finish"; note: string; dispatchAfter?: string[] };

interface JobKind {
  /** Node route QStash delivers to. */
  path: string;
  /** Models a node must serve to take the job. */
  tasks: readonly ModelTask[];
  build(db: Database, job: JobRow, attempt: number, keys: KeySource): Promise<Built>;
  /**
   * Kinds with an edge-side fallback: run instead of waiting when no node can take the job, and after the
   * last attempt failed; answers what happened, in words for the job's note.
   */
  withoutNode?(db: Database, jobId: string, keys: KeySource): Promise<string>;
  /** Per delivery, when the node's work takes longer than DELIVERY_TIMEOUT_SECONDS allows (LLM writing). */
  timeoutSeconds?: number;
}

export const analyzePayload = z.object({ entryId: z.string(), contentVersion: z.number().int() });
const purgePayload = z.object({
  entryId: z.string().optional(),
  entryIds: z.array(z.string()).optional(),
  /** The writer all the entries belong to, so the node opens only their collections; absent when unknown. */
  userId: z.string().optional(),
});
export const reindexPayload = z.object({
  model: z.string(),
  after: z.string().nullish(),
  /** Filled in when the page is built: the last entry of the page and how many it had. */
  pageEnd: z.string().optional(),
  pageCount: z.number().int().optional(),
  /** The page's writers: an account deleted while the page was in flight is purged again. */
  userIds: z.array(z.string()).optional(),
});

async function buildAnalyzeEntry(db: Database, job: JobRow, attempt: number): Promise<Built> {
  const payload = analyzePayload.parse(job.payload);
  const [row] = await db
    .select({
      userId: entries.userId,
      title: entries.title,
      content: entries.content,
      occurredAt: entries.occurredAt,
      contentVersion: entries.contentVersion,
      deletedAt: entries.deletedAt,
      userDeletedAt: users.deletedAt,
    })
    .from(entries)
    .innerJoin(users, eq(users.id, entries.userId))
    .where(eq(entries.id, payload.entryId))
    .limit(1);
  if (!row || row.deletedAt || row.userDeletedAt) {
    return {
      kind: "finish",
      note: "The entry was deleted before it was analysed; nothing to do.",
      dispatchAfter: await purgeAfterAbandonedAnalysis(db, job),
    };
  }
  if (row.contentVersion > payload.contentVersion) {
    return {
      kind: "finish",
      note: "Superseded: the entry was edited again and a newer job analyses its current text.",
    };
  }
  const body: AnalyzeEntryJob = {
    jobId: job.id,
    attempt,
    entryId: payload.entryId,
    userId: row.userId,
    contentVersion: row.contentVersion,
    content: row.content,
    ...(row.title ? { title: row.title } : {}),
    occurredAt: row.occurredAt.toISOString(),
  };
  return { kind: "publish", body };
}

/**
 * An analysis delivered before its entry was deleted may have written the entry's vector into Chroma
 * after the delete's purge ran; when its answer is lost (a node killed after the upsert, a timeout, a
 * garbage answer) no result callback comes to purge it again. So a job that had a delivery out and is
 * now given up or found deleted purges whatever of its entry was deleted since the job was made.
 * Answers the purge jobs to dispatch.
 */
export async function purgeAfterAbandonedAnalysis(
  db: Database,
  job: { kind: string; attempts: number; entryId: string | null; createdAt: Date },
): Promise<string[]> {
  if (job.kind !== ANALYZE_ENTRY_JOB || !job.entryId || job.attempts === 0) return [];
  return await purgeDeletedSince(db, { since: job.createdAt, entryIds: [job.entryId] });
}

async function buildPurge(_db: Database, job: JobRow, attempt: number): Promise<Built> {
  const payload = purgePayload.parse(job.payload);
  const entryIds = payload.entryIds ?? (payload.entryId ? [payload.entryId] : []);
  // An entry deletion's job row names the writer; a purge queued without one may carry it in its payload.
  const userId = payload.userId ?? job.userId ?? undefined;
  if (entryIds.length === 0 && !userId) return { kind: "finish", note: "Nothing to purge." };
  const body: PurgeVectorsJob = { jobId: job.id, attempt, entryIds, ...(userId ? { userId } : {}) };
  return { kind: "publish", body };
}

async function buildReindex(db: Database, job: JobRow, attempt: number): Promise<Built> {
  const payload = reindexPayload.parse(job.payload);
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
        eq(entryEmbeddings.model, payload.model),
        isNull(entries.deletedAt),
        isNull(users.deletedAt),
        payload.after ? gt(entryEmbeddings.entryId, payload.after) : undefined,
        // A tombstoned entry never goes back into the index, whatever its rows say.
        sql`not exists (select 1 from ${vectorTombstones} where ${vectorTombstones.entryId} = ${entryEmbeddings.entryId})`,
      ),
    )
    .orderBy(asc(entryEmbeddings.entryId))
    .limit(REINDEX_PAGE_SIZE);
  const last = rows.at(-1);
  if (!last) return { kind: "finish", note: "Nothing (more) to reindex." };
  await db
    .update(jobs)
    .set({
      payload: {
        ...payload,
        pageEnd: last.entryId,
        pageCount: rows.length,
        userIds: [...new Set(rows.map((r) => r.userId))],
      },
    })
    .where(eq(jobs.id, job.id));
  const body: ReindexJob = {
    jobId: job.id,
    attempt,
    model: payload.model,
    dims: last.dims,
    items: rows.map((r) => ({
      entryId: r.entryId,
      userId: r.userId,
      occurredAt: r.occurredAt.toISOString(),
      embedding: r.embedding,
      contentVersion: r.contentVersion,
    })),
  };
  return { kind: "publish", body };
}

const purgeUserPayload = z.object({ userId: z.string() });

/** After an account deletion: the job row cannot reference the (deleted) user, so the id rides in the payload. */
async function buildPurgeUser(_db: Database, job: JobRow, attempt: number): Promise<Built> {
  const { userId } = purgeUserPayload.parse(job.payload);
  const body: PurgeVectorsJob = { jobId: job.id, attempt, entryIds: [], userId };
  return { kind: "publish", body };
}

export const JOB_KINDS: Record<string, JobKind> = {
  [ANALYZE_ENTRY_JOB]: {
    path: "/jobs/analyze-entry",
    tasks: ["embedding", "sentiment", "emotion"],
    build: buildAnalyzeEntry,
  },
  [PURGE_ENTRY_VECTORS_JOB]: { path: "/jobs/purge-entry-vectors", tasks: [], build: buildPurge },
  [REINDEX_JOB]: { path: "/jobs/reindex", tasks: [], build: buildReindex },
  [PURGE_USER_VECTORS_JOB]: { path: "/jobs/purge-entry-vectors", tasks: [], build: buildPurgeUser },
  // Any node with a vector store; one without answers `indexed: false` and the page goes to another.
  [RECONCILE_VECTORS_JOB]: { path: "/jobs/list-vectors", tasks: [], build: buildReconcileVectors },
  // One writer's topics: the node embeds what comes without a vector, so it must serve an embedding model.
  [DISCOVER_TOPICS_JOB]: { path: "/jobs/discover-topics", tasks: ["embedding"], build: buildDiscoverTopics },
  [TITLE_SESSION_JOB]: {
    path: "/jobs/title-session",
    tasks: ["llm"],
    build: buildTitleSession,
    withoutNode: titleSessionWithoutNode,
  },
  // Without a node serving a language model the writer gets the structured reflection, never a wait.
  [WRITE_REFLECTION_JOB]: {
    path: "/jobs/write-reflection",
    tasks: ["llm"],
    build: buildWriteReflection,
    withoutNode: writeStructuredInstead,
    timeoutSeconds: WRITE_REFLECTION_TIMEOUT_SECONDS,
  },
};

/**
 * How long a job with no node to run it waits before the next try: a quarter of its age, between 5 s and
 * 5 min, so a fresh job is retried soon and one stuck for hours does not poll. A node that comes up
 * wakes the waiting jobs at its first heartbeat anyway (`dispatchWaiting`).
 */
export function waitBackoffMs(createdAt: Date, now: Date): number {
  return Math.min(5 * 60_000, Math.max(5_000, (now.getTime() - createdAt.getTime()) / 4));
}

export type DispatchOutcome =
  | { outcome: "published"; nodeId: string; attempt: number; messageId: string }
  | { outcome: "waiting"; reason: string }
  | { outcome: "finished"; note: string }
  | { outcome: "skipped" }
  | { outcome: "publish-failed"; reason: string };

async function wait(db: Database, job: JobRow, reason: string): Promise<DispatchOutcome> {
  const now = new Date();
  // Keep why the last attempt failed in front of why the job now waits: both help an operator.
  const lastFailure = job.error?.startsWith("Attempt ")
    ? job.error.split(/ (?=Dispatching|Waiting)/)[0]
    : undefined;
  await db
    .update(jobs)
    .set({
      error: lastFailure ? `${lastFailure} ${reason}` : reason,
      availableAt: new Date(now.getTime() + waitBackoffMs(job.createdAt, now)),
      updatedAt: now,
    })
    .where(and(eq(jobs.id, job.id), eq(jobs.status, "queued")));
  return { outcome: "waiting", reason };
}

function noNodeReason(kind: string, candidates: readonly NodeCandidate[]): string {
  const needs = JOB_KINDS[kind]?.tasks ?? [];
  const what = needs.length > 0 ? ` serving ${needs.join(", ")} models` : "";
  return candidates.length === 0
    ? `Waiting for a healthy inference node${what}; the job is dispatched as soon as one heartbeats.`
    : "Waiting for an inference node.";
}

function describeError(err: unknown): string {
  // The client's messages name the HTTP status, never the token or the body.
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 200);
}

/**
 * Hands one queued job to the least loaded healthy node through QStash. The claim (queued → running,
 * attempts + 1) is a conditional update, so two dispatchers racing on one job (the write's `waitUntil`
 * and the cron sweep) publish it once; the deduplication id `${jobId}:${attempt}` covers the rest: a
 * publish that timed out but landed is re-sent with the same id and QStash drops the copy.
 */
export async function dispatchJob(
  deps: PipelineDeps,
  jobId: string,
  options: { avoidNodeId?: string | null } = {},
): Promise<DispatchOutcome> {
  const { db, config } = deps;
  const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1);
  if (job?.status !== "queued") return { outcome: "skipped" };
  const kind = JOB_KINDS[job.kind];
  // Other kinds (e.g. reflections computed at the edge) have their own runners: not ours to touch.
  if (!kind) return { outcome: "skipped" };
  if (!config.EDGE_PUBLIC_URL) {
    return await wait(db, job, "EDGE_PUBLIC_URL is not set, so QStash would have nowhere to send results.");
  }
  const attempt = job.attempts + 1;
  const keys = pipelineKeys(deps);
  const built = await kind.build(db, job, attempt, keys);
  if (built.kind === "finish") {
    await finishJob(db, job.id, "done", built.note);
    for (const next of built.dispatchAfter ?? []) await dispatchJob(deps, next);
    return { outcome: "finished", note: built.note };
  }
  const candidates = await schedulableNodes(db, config.NODE_HEARTBEAT_TTL_SECONDS, kind.tasks);
  const node = pickNode(candidates, { avoid: options.avoidNodeId ?? null });
  if (!node && kind.withoutNode) {
    const note = await kind.withoutNode(db, job.id, keys);
    await finishJob(db, job.id, "done", note);
    return { outcome: "finished", note };
  }
  if (!node) return await wait(db, job, noNodeReason(job.kind, candidates));

  const now = new Date();
  const claimed = await db
    .update(jobs)
    .set({
      status: "running",
      attempts: attempt,
      nodeId: node.id,
      // Until the publish answers, this attempt has no message: a callback arriving first is retried.
      messageId: null,
      startedAt: now,
      error: null,
      updatedAt: now,
    })
    .where(and(eq(jobs.id, job.id), eq(jobs.status, "queued"), eq(jobs.attempts, job.attempts)))
    .returning({ id: jobs.id });
  if (claimed.length === 0) return { outcome: "skipped" };

  const base = config.EDGE_PUBLIC_URL.replace(/\/+$/, "");
  try {
    const published = await deps.qstash.publishJSON({
      url: `${node.url}${kind.path}`,
      body: built.body,
      ...(deps.requestId ? { headers: { "X-Request-Id": deps.requestId } } : {}),
      callback: `${base}${CALLBACK_PATH}`,
      failureCallback: `${base}${FAILURE_PATH}`,
      retries: QSTASH_RETRIES,
      // Quick retries: a node that stays unreachable is better replaced by another one than waited for.
      retryDelay: "min(10000, 1000 * pow(2, retried))",
      timeout: kind.timeoutSeconds ?? DELIVERY_TIMEOUT_SECONDS,
      deduplicationId: `${job.id}:${attempt}`,
      flowControl: { key: `node-${node.id}`, parallelism: NODE_PARALLELISM },
      // Entry text must not sit in QStash's logs.
      redact: { body: true },
    });
    // Recorded whatever the job's state by now: a callback is only ever applied for a message listed here.
    await db
      .update(jobs)
      .set({
        messageId: sql`case when ${jobs.attempts} = ${attempt}::int then ${published.messageId} else ${jobs.messageId} end`,
        deliveredMessageIds: sql`case when ${published.messageId} = any(${jobs.deliveredMessageIds})
          then ${jobs.deliveredMessageIds} else array_append(${jobs.deliveredMessageIds}, ${published.messageId}::text) end`,
      })
      .where(eq(jobs.id, job.id));
    return { outcome: "published", nodeId: node.id, attempt, messageId: published.messageId };
  } catch (err) {
    const reason = `Could not hand the job to QStash (${describeError(err)}); it is retried shortly.`;
    // Back to queued with the attempt not counted: the retry reuses the same deduplication id, so if this
    // publish did land after all, QStash drops the second copy.
    await db
      .update(jobs)
      .set({
        status: "queued",
        attempts: job.attempts,
        nodeId: null,
        startedAt: null,
        error: reason,
        availableAt: new Date(Date.now() + 15_000),
        updatedAt: new Date(),
      })
      .where(and(eq(jobs.id, job.id), eq(jobs.status, "running"), eq(jobs.attempts, attempt)));
    console.warn(JSON.stringify({ level: "warn", msg: "qstash publish failed", jobId: job.id, attempt }));
    return { outcome: "publish-failed", reason };
  }
}

export async function finishJob(
  db: Database,
  jobId: string,
  status: "done" | "failed",
  note: string | null,
  result?: Record<string, unknown>,
): Promise<void> {
  const now = new Date();
  await db
    .update(jobs)
    .set({ status, error: note, finishedAt: now, updatedAt: now, ...(result ? { result } : {}) })
    .where(eq(jobs.id, jobId));
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        console.warn(
          JSON.stringify({
            level: "warn",
            msg: "dispatch failed",
            error: err instanceof Error ? err.name : "unknown",
          }),
        );
      }
    }
  });
  await Promise.all(lanes);
}

/** Queued jobs, due or not (a node just came up), handed out oldest first. */
export async function dispatchWaiting(
  deps: PipelineDeps,
  options: { limit: number; dueOnly: boolean },
): Promise<number> {
  const rows = await deps.db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.status, "queued"),
        inArray(jobs.kind, Object.keys(JOB_KINDS)),
        options.dueOnly ? lte(jobs.availableAt, new Date()) : undefined,
      ),
    )
    .orderBy(asc(jobs.availableAt))
    .limit(options.limit);
  await eachLimited(rows, 4, (row) => dispatchJob(deps, row.id));
  return rows.length;
}

export interface SweepResult {
  requeued: number;
  failed: number;
  dispatched: number;
}

/**
 * The outbox sweep (every minute): jobs `running` past their kind's lease go back to the queue (or fail
 * once out of attempts), jobs failed for a transient cause are queued again after their pause, then every
 * due queued job is dispatched, so neither a publish that never happened, a message lost downstream nor
 * an outage longer than a job's attempts leaves an entry unanalysed.
 */
export async function sweepJobs(deps: PipelineDeps, options: { limit?: number } = {}): Promise<SweepResult> {
  const { db } = deps;
  // The shortest lease of any kind: the candidates; each one's own lease decides below.
  const kinds = Object.keys(JOB_KINDS);
  const leaseCutoff = new Date(Date.now() - Math.min(...kinds.map(runningLeaseMs)));
  const candidates = await db
    .select({
      id: jobs.id,
      attempts: jobs.attempts,
      kind: jobs.kind,
      payload: jobs.payload,
      entryId: jobs.entryId,
      startedAt: jobs.startedAt,
      createdAt: jobs.createdAt,
    })
    .from(jobs)
    .where(and(eq(jobs.status, "running"), inArray(jobs.kind, kinds), lte(jobs.startedAt, leaseCutoff)))
    .orderBy(asc(jobs.startedAt))
    .limit(500);
  const expired = candidates.filter(
    (job) => job.startedAt && job.startedAt.getTime() <= Date.now() - runningLeaseMs(job.kind),
  );
  let requeued = 0;
  let failed = 0;
  for (const job of expired) {
    const outOfAttempts = job.attempts >= MAX_ATTEMPTS && !NEVER_GIVE_UP.has(job.kind);
    const now = new Date();
    const backoff = job.attempts >= MAX_ATTEMPTS ? purgeRetryDelayMs(job.attempts) : 0;
    const leaseEnd = new Date(now.getTime() - runningLeaseMs(job.kind));
    const changed = await db
      .update(jobs)
      .set(
        outOfAttempts
          ? {
              status: "failed",
              error: "No node answered within the lease, on any attempt.",
              result: failureResult(true),
              finishedAt: now,
              updatedAt: now,
            }
          : {
              status: "queued",
              nodeId: null,
              error: "No answer from the node within the lease; dispatching again.",
              availableAt: new Date(now.getTime() + backoff),
              updatedAt: now,
            },
      )
      .where(and(eq(jobs.id, job.id), eq(jobs.status, "running"), lte(jobs.startedAt, leaseEnd)))
      .returning({ id: jobs.id });
    if (changed.length === 0) continue;
    if (outOfAttempts) {
      failed += 1;
      await markAnalysisFailed(db, job, "No inference node answered.");
      await JOB_KINDS[job.kind]?.withoutNode?.(db, job.id, pipelineKeys(deps));
      for (const purge of await purgeAfterAbandonedAnalysis(db, job)) await dispatchJob(deps, purge);
    } else {
      requeued += 1;
    }
  }
  requeued += await requeueFailedPurges(db);
  requeued += await retryTransientFailures(db);
  const dispatched = await dispatchWaiting(deps, { limit: options.limit ?? 200, dueOnly: true });
  return { requeued, failed, dispatched };
}

/**
 * Purges an older edge let fail after three attempts: deleted entries' vectors stayed in Chroma for good.
 * They go back to the queue (a few per sweep), retried further apart from then on like any purge.
 */
async function requeueFailedPurges(db: Database): Promise<number> {
  const now = new Date();
  const stuck = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.status, "failed"), inArray(jobs.kind, [...NEVER_GIVE_UP])))
    .limit(50);
  const requeued = await db
    .update(jobs)
    .set({
      status: "queued",
      nodeId: null,
      finishedAt: null,
      error: "A vector purge is never given up: queued again.",
      availableAt: now,
      updatedAt: now,
    })
    .where(and(inArray(jobs.id, stuck), eq(jobs.status, "failed")))
    .returning({ id: jobs.id });
  return requeued.length;
}

/**
 * Failed jobs whose cause was transient go back to the queue once their pause is over (a few per sweep),
 * so an entry whose analysis failed during an outage is analysed once the system is healthy. Kinds with
 * an edge-side fallback already served the writer when they failed, and purges are never failed.
 */
async function retryTransientFailures(db: Database): Promise<number> {
  const kinds = Object.entries(JOB_KINDS)
    .filter(([kind, def]) => !def.withoutNode && !NEVER_GIVE_UP.has(kind))
    .map(([kind]) => kind);
  const now = new Date();
  const due = await db
    .select({ id: jobs.id, kind: jobs.kind, payload: jobs.payload, entryId: jobs.entryId, error: jobs.error })
    .from(jobs)
    .where(
      and(
        eq(jobs.status, "failed"),
        inArray(jobs.kind, kinds),
        sql`${jobs.result}->>'failure' = 'transient'`,
        sql`${jobs.attempts} < ${MAX_TOTAL_ATTEMPTS}`,
        sql`${jobs.finishedAt} <= ${now.toISOString()}::timestamptz - make_interval(secs => least(600, 30 * power(2, greatest(0, ${jobs.attempts} - ${MAX_ATTEMPTS}))))`,
      ),
    )
    .orderBy(asc(jobs.finishedAt))
    .limit(50);
  let requeued = 0;
  for (const job of due) {
    const previous = (job.error ?? "").split(" Queued again")[0];
    const changed = await db
      .update(jobs)
      .set({
        status: "queued",
        nodeId: null,
        finishedAt: null,
        result: null,
        error: `${previous} Queued again after a pause: its cause may have cleared.`,
        availableAt: now,
        updatedAt: now,
      })
      .where(and(eq(jobs.id, job.id), eq(jobs.status, "failed")))
      .returning({ id: jobs.id });
    if (changed.length === 0) continue;
    requeued += 1;
    await markAnalysisPending(db, job);
  }
  return requeued;
}

/** The entry shows `pending` again while a failed analysis is retried (unless it was edited meanwhile). */
async function markAnalysisPending(
  db: Database,
  job: { kind: string; payload: Record<string, unknown>; entryId: string | null },
): Promise<void> {
  if (job.kind !== ANALYZE_ENTRY_JOB || !job.entryId) return;
  const payload = analyzePayload.safeParse(job.payload);
  if (!payload.success) return;
  await db
    .update(entryAnalyses)
    .set({ status: "pending", error: null, updatedAt: new Date() })
    .where(
      and(
        eq(entryAnalyses.entryId, job.entryId),
        eq(entryAnalyses.contentVersion, payload.data.contentVersion),
        eq(entryAnalyses.status, "failed"),
      ),
    );
}

/** The entry shows `failed` with the reason, unless it has been edited since (then a newer job owns it). */
export async function markAnalysisFailed(
  db: Database,
  job: { kind: string; payload: Record<string, unknown>; entryId: string | null },
  reason: string,
): Promise<boolean> {
  if (job.kind !== ANALYZE_ENTRY_JOB || !job.entryId) return false;
  const payload = analyzePayload.safeParse(job.payload);
  if (!payload.success) return false;
  const changed = await db
    .update(entryAnalyses)
    .set({ status: "failed", error: reason, updatedAt: new Date() })
    .where(
      and(
        eq(entryAnalyses.entryId, job.entryId),
        eq(entryAnalyses.contentVersion, payload.data.contentVersion),
        eq(entryAnalyses.status, "pending"),
      ),
    )
    .returning({ entryId: entryAnalyses.entryId });
  return changed.length > 0;
}

/** Creates the first page job of a reindex of `model` (later pages follow as each one lands). */
export async function createReindexJob(
  db: Database | Tx,
  model: string,
  after: string | null,
  jobId: string,
): Promise<void> {
  await db.insert(jobs).values({ id: jobId, kind: REINDEX_JOB, payload: { model, after } });
}

/** Embedding models that have vectors in Postgres. */
export async function embeddingModels(db: Database): Promise<string[]> {
  const rows = await db.selectDistinct({ model: entryEmbeddings.model }).from(entryEmbeddings);
  return rows.map((r) => r.model);
}
