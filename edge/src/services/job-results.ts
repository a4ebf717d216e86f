import {
  type AnalyzeEntryResult,
  analyzeEntryResultSchema,
  DISCOVER_TOPICS_JOB,
  discoverTopicsResultSchema,
  InkwellError,
  listVectorsResultSchema,
  problemSchema,
  purgeVectorsResultSchema,
  REINDEX_PAGE_SIZE,
  reindexResultSchema,
  titleSessionResultSchema,
  uuidv7,
  writeReflectionResultSchema,
} from "@inkwell/shared";
import { and, eq, gt, isNull, lte, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database, Tx } from "../db/client.ts";
import { entries, entryAnalyses, entryEmbeddings, jobs, users } from "../db/schema/index.ts";
import { sealAnalysisFields } from "./analysis-fields.ts";
import { ANALYZE_ENTRY_JOB, PURGE_ENTRY_VECTORS_JOB } from "./entries.ts";
import {
  analyzePayload,
  createReindexJob,
  dispatchJob,
  failureResult,
  finishJob,
  JOB_KINDS,
  MAX_ATTEMPTS,
  MAX_TOTAL_ATTEMPTS,
  markAnalysisFailed,
  NEVER_GIVE_UP,
  type PipelineDeps,
  pipelineKeys,
  purgeAfterAbandonedAnalysis,
  purgeRetryDelayMs,
  REINDEX_JOB,
  reindexPayload,
} from "./job-dispatch.ts";
import { lockJobOwners, lockOpenJob, readyJobOwnerKey } from "./job-lock.ts";
import { markUnreachable } from "./nodes.ts";
import { applyWrittenReflection, WRITE_REFLECTION_JOB } from "./reflection-jobs.ts";
import { applySessionTitle, TITLE_SESSION_JOB } from "./session-title-job.ts";
import { applyDiscoveredTopics, discoverAfterAnalysis } from "./topic-discovery.ts";
import { applyReconcilePage, RECONCILE_VECTORS_JOB } from "./vector-reconciliation.ts";
import { purgeDeletedSince, purgeForOrphanedDelivery } from "./vector-tombstones.ts";

/**
 * The body QStash posts to `Upstash-Callback` and `Upstash-Failure-Callback`: the destination's answer
 * (`body`, base64) and the message it answered (`sourceBody`, base64). Only what is used is required.
 */
export const qstashCallbackSchema = z.object({
  status: z.number().int(),
  body: z.string().optional().default(""),
  sourceMessageId: z.string().optional(),
  sourceBody: z.string().optional(),
  url: z.string().optional(),
  retried: z.number().int().optional(),
  maxRetries: z.number().int().optional(),
  error: z.string().optional(),
});
export type QStashCallback = z.infer<typeof qstashCallbackSchema>;

export type CallbackOutcome =
  | "applied"
  | "discarded-stale"
  | "duplicate"
  | "unknown-job"
  | "unbound-delivery"
  | "requeued"
  | "failed"
  | "ignored-stale-attempt";

function decodeBase64(text: string): string {
  try {
    const binary = atob(text);
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return "";
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const sourceSchema = z.object({ jobId: z.string().max(200), attempt: z.number().int().optional() });

/**
 * Which job and attempt a callback names: from the message the edge published (`sourceBody`), never from
 * the node's answer (`body`).
 */
export function callbackJob(
  callback: QStashCallback,
): { jobId: string; attempt: number | undefined } | undefined {
  if (!callback.sourceBody) return undefined;
  const parsed = sourceSchema.safeParse(parseJson(decodeBase64(callback.sourceBody)));
  return parsed.success ? { jobId: parsed.data.jobId, attempt: parsed.data.attempt } : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How long QStash should wait before retrying a callback that arrived before its publish was recorded. */
const UNRECORDED_RETRY_SECONDS = 5;

type BoundDelivery =
  | { bound: true; jobId: string; attempt: number | undefined; kind: string; status: string }
  | { bound: false; outcome: CallbackOutcome; jobId?: string };

/**
 * Binds a callback to a delivery the edge made. Every node holds the QStash signing keys, so a valid
 * signature alone proves nothing about which job an answer belongs to; the `sourceMessageId` must be a
 * message the edge published for the job named by the source body. A node can learn only the message
 * ids of its own deliveries, so it can answer only for the jobs it was given.
 */
async function bindDelivery(db: Database, callback: QStashCallback): Promise<BoundDelivery> {
  const ref = callbackJob(callback);
  if (!ref || !UUID.test(ref.jobId)) return { bound: false, outcome: "unknown-job" };
  const [job] = await db
    .select({
      kind: jobs.kind,
      status: jobs.status,
      messageId: jobs.messageId,
      deliveredMessageIds: jobs.deliveredMessageIds,
    })
    .from(jobs)
    .where(eq(jobs.id, ref.jobId))
    .limit(1);
  if (!job) return { bound: false, outcome: "unknown-job", jobId: ref.jobId };
  const messageId = callback.sourceMessageId;
  if (messageId && job.deliveredMessageIds.includes(messageId)) {
    return { bound: true, jobId: ref.jobId, attempt: ref.attempt, kind: job.kind, status: job.status };
  }
  if (messageId && job.messageId === null && (job.status === "running" || job.status === "queued")) {
    // An attempt is claimed but its publish has not been recorded yet (or failed and will be re-sent
    // with the same deduplication id): QStash retries the callback once the id is known.
    throw new InkwellError("SERVICE_UNAVAILABLE", "The job's delivery is not recorded yet; retry.", {
      headers: { "Retry-After": String(UNRECORDED_RETRY_SECONDS) },
    });
  }
  console.warn(
    JSON.stringify({
      level: "warn",
      msg: "callback for a message the edge never published for this job",
      jobId: ref.jobId,
    }),
  );
  return { bound: false, outcome: "unbound-delivery", jobId: ref.jobId };
}

/**
 * A callback for a job that no longer exists: deleting an account removes its writer's jobs, but an
 * analysis delivered just before may have written its vector after the account's purge ran. The message
 * the edge published names the entry and the writer; if either has a tombstone, it is purged again.
 */
async function purgeAfterLostJob(deps: PipelineDeps, callback: QStashCallback): Promise<void> {
  if (!callback.sourceBody) return;
  const purges = await purgeForOrphanedDelivery(deps.db, parseJson(decodeBase64(callback.sourceBody)));
  for (const purgeJobId of purges) await dispatchJob(deps, purgeJobId);
}

/**
 * Why a delivery failed, in words for `GET /v1/jobs/{id}`: a status and the node's problem detail; and
 * whether the cause is transient (no answer, a timeout, 5xx, rate limiting), so the job is retried later.
 */
function failureReason(callback: QStashCallback): { text: string; unreachable: boolean; transient: boolean } {
  // No HTTP answer, or a tunnel/proxy saying the origin is gone: the node itself is not there.
  const unreachable = [0, 502, 504, 521, 522, 523, 530].includes(callback.status);
  const transient = unreachable || callback.status >= 500 || [408, 425, 429].includes(callback.status);
  if (callback.status === 0) {
    return {
      text: `the node could not be reached (${(callback.error ?? "no response").slice(0, 80)})`,
      unreachable,
      transient,
    };
  }
  // Loosely: any answer with a `detail` (our nodes answer RFC 9457 problems).
  const problem = problemSchema.pick({ detail: true }).safeParse(parseJson(decodeBase64(callback.body)));
  const detail = problem.success ? `: ${problem.data.detail.slice(0, 160)}` : "";
  return { text: `the node answered HTTP ${callback.status}${detail}`, unreachable, transient };
}

/** Vectors of one model must all have its dimensions, or search compares vectors of different spaces. */
async function knownDims(tx: Tx, model: string): Promise<number | undefined> {
  const [row] = await tx
    .select({ dims: entryEmbeddings.dims })
    .from(entryEmbeddings)
    .where(eq(entryEmbeddings.model, model))
    .limit(1);
  return row?.dims;
}

async function applyAnalysis(
  deps: PipelineDeps,
  jobId: string,
  result: AnalyzeEntryResult,
): Promise<{ outcome: CallbackOutcome | "mismatch"; userId?: string; purgeJobId?: string }> {
  // Keywords and evidence are stored sealed with the writer's key (analysis-fields.ts).
  const keys = pipelineKeys(deps);
  await readyJobOwnerKey(deps.db, keys, jobId);
  return await deps.db.transaction(async (tx) => {
    const locked = await lockOpenJob(tx, jobId);
    if ("outcome" in locked) return { outcome: locked.outcome };
    const { job } = locked;
    // The job says which entry, which version and whose: the node's answer must agree, and only the
    // job's own values are used to write.
    const payload = analyzePayload.safeParse(job.payload);
    if (
      !payload.success ||
      !job.userId ||
      result.entryId !== payload.data.entryId ||
      result.contentVersion !== payload.data.contentVersion
    ) {
      return { outcome: "mismatch" as const };
    }
    const dims = await knownDims(tx, result.model);
    if (dims !== undefined && dims !== result.dims) return { outcome: "mismatch" as const };
    const { entryId, contentVersion } = payload.data;
    const userId = job.userId;
    const sealed = await sealAnalysisFields(
      keys,
      { userId, entryId },
      {
        keywords: result.keywords,
        patterns: result.patterns ?? null,
      },
    );
    const now = new Date();
    // One statement decides staleness: it writes only while the entry is live, belongs to the job's
    // writer, its owner exists and its content is still the version that was analysed. An edit commits a
    // new version on this same row, so the check and the write cannot interleave with it.
    const written = await tx
      .update(entryAnalyses)
      .set({
        status: "done",
        sentimentLabel: result.sentiment.label,
        sentimentScore: result.sentiment.score,
        emotions: result.emotions,
        ...sealed,
        safetyLevel: result.safety.level,
        model: [result.models.sentiment, result.models.emotion, result.models.embedding].join("+"),
        error: null,
        analyzedAt: now,
        updatedAt: now,
      })
      .where(
        and(
          eq(entryAnalyses.entryId, entryId),
          eq(entryAnalyses.userId, userId),
          eq(entryAnalyses.contentVersion, contentVersion),
          sql`exists (select 1 from ${entries} join ${users} on ${users.id} = ${entries.userId}
                      where ${entries.id} = ${entryId} and ${entries.userId} = ${userId}
                        and ${entries.deletedAt} is null and ${users.deletedAt} is null
                        and ${entries.contentVersion} = ${contentVersion})`,
        ),
      )
      .returning({ userId: entryAnalyses.userId });
    const row = written[0];
    if (!row) {
      await tx
        .update(jobs)
        .set({
          status: "done",
          error: "Result discarded: the entry was edited or deleted while it was analysed.",
          finishedAt: now,
          updatedAt: now,
        })
        .where(eq(jobs.id, jobId));
      // The node upserts into Chroma before it answers, so a delivery in flight during the delete may have
      // put the vector back after the delete's purge ran: an entry that is gone is purged once more.
      const [live] = await tx
        .select({ id: entries.id })
        .from(entries)
        .innerJoin(users, eq(users.id, entries.userId))
        .where(and(eq(entries.id, entryId), isNull(entries.deletedAt), isNull(users.deletedAt)))
        .limit(1);
      if (live) return { outcome: "discarded-stale" as const };
      const purgeJobId = uuidv7();
      await tx.insert(jobs).values({
        id: purgeJobId,
        userId,
        kind: PURGE_ENTRY_VECTORS_JOB,
        payload: { entryIds: [entryId] },
      });
      return { outcome: "discarded-stale" as const, purgeJobId };
    }
    const embedding = {
      entryId,
      userId,
      model: result.model,
      dims: result.dims,
      embedding: result.embedding,
      contentVersion,
      indexedAt: result.indexed ? now : null,
      updatedAt: now,
    };
    await tx
      .insert(entryEmbeddings)
      .values(embedding)
      .onConflictDoUpdate({
        target: entryEmbeddings.entryId,
        set: {
          model: embedding.model,
          dims: embedding.dims,
          embedding: embedding.embedding,
          contentVersion: embedding.contentVersion,
          indexedAt: embedding.indexedAt,
          updatedAt: now,
        },
        setWhere: and(
          lte(entryEmbeddings.contentVersion, contentVersion),
          eq(entryEmbeddings.userId, userId),
        ),
      });
    await tx
      .update(jobs)
      .set({
        status: "done",
        error: null,
        finishedAt: now,
        updatedAt: now,
        result: {
          model: result.model,
          dims: result.dims,
          models: result.models,
          sentiment: result.sentiment.label,
          safety: result.safety.level,
          indexed: result.indexed ?? false,
        },
      })
      .where(eq(jobs.id, jobId));
    return { outcome: "applied" as const, userId };
  });
}

async function applyReindex(deps: PipelineDeps, jobId: string, indexed: boolean): Promise<CallbackOutcome> {
  const { db } = deps;
  const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1);
  if (!job) return "unknown-job";
  if (job.status === "done") return "duplicate";
  const payload = reindexPayload.parse(job.payload);
  // A full page means there may be more: the next page is a job of its own, so each is retried alone. It
  // is written in the transaction that finishes this page, so the pass never looks finished between pages.
  const next = payload.pageEnd && payload.pageCount === REINDEX_PAGE_SIZE ? uuidv7() : undefined;
  const purges = await db.transaction(async (tx) => {
    const done = await tx
      .update(jobs)
      .set({
        status: "done",
        error: null,
        finishedAt: new Date(),
        updatedAt: new Date(),
        result: { indexed },
      })
      .where(and(eq(jobs.id, jobId), sql`${jobs.status} <> 'done'`))
      .returning({ id: jobs.id });
    if (done.length === 0) return undefined;
    if (next && payload.pageEnd) await createReindexJob(tx, payload.model, payload.pageEnd, next);
    // The page was read before the node wrote it: an entry or an account of the page deleted meanwhile
    // had its purge run maybe before this write, so it is purged once more.
    if (!payload.pageEnd) return [];
    return await purgeDeletedSince(tx, {
      since: job.createdAt,
      entryRange: { after: payload.after ?? null, through: payload.pageEnd },
      userIds: payload.userIds ?? [],
    });
  });
  if (purges === undefined) return "duplicate";
  for (const purgeJobId of purges) await dispatchJob(deps, purgeJobId);
  if (indexed && payload.pageEnd) {
    await db
      .update(entryEmbeddings)
      .set({ indexedAt: new Date() })
      .where(
        and(
          eq(entryEmbeddings.model, payload.model),
          payload.after ? gt(entryEmbeddings.entryId, payload.after) : undefined,
          lte(entryEmbeddings.entryId, payload.pageEnd),
          isNull(entryEmbeddings.indexedAt),
        ),
      );
  }
  if (next) await dispatchJob(deps, next);
  return "applied";
}

/** `Upstash-Callback`: the node answered 2xx. Written idempotently; stale or orphaned results are dropped. */
export async function handleSuccessCallback(
  deps: PipelineDeps,
  callback: QStashCallback,
): Promise<{ outcome: CallbackOutcome; jobId?: string; userId?: string }> {
  const ref = await bindDelivery(deps.db, callback);
  if (!ref.bound) {
    if (ref.outcome === "unknown-job") await purgeAfterLostJob(deps, callback);
    return { outcome: ref.outcome, ...(ref.jobId ? { jobId: ref.jobId } : {}) };
  }
  const job = ref;
  const answer = parseJson(decodeBase64(callback.body));
  // A 2xx answer the edge cannot use counts as a failed attempt: the job goes to another node. Garbage
  // or a node without a vector store is transient (another node, or this one later, can do it); a result
  // for another entry, version or vector space is not.
  const refuse = async (reason: string, transient = true) => ({
    ...(await handleFailedAttempt(deps, ref.jobId, ref.attempt, reason, { unreachable: false, transient })),
    jobId: ref.jobId,
  });
  if (job.kind === ANALYZE_ENTRY_JOB) {
    const result = analyzeEntryResultSchema.safeParse(answer);
    if (!result.success || result.data.jobId !== ref.jobId) {
      return await refuse("the node answered with an unreadable result");
    }
    const applied = await applyAnalysis(deps, ref.jobId, result.data);
    if (applied.outcome === "mismatch") {
      return await refuse("the node answered for another entry, version or vector space", false);
    }
    const { outcome, userId } = applied;
    if (outcome === "applied" && userId) await discoverAfterAnalysis(deps, userId);
    if (applied.purgeJobId) await dispatchJob(deps, applied.purgeJobId);
    return { outcome, ...(userId ? { userId } : {}), jobId: ref.jobId };
  }
  if (job.kind === DISCOVER_TOPICS_JOB) {
    const result = discoverTopicsResultSchema.safeParse(answer);
    if (!result.success || result.data.jobId !== ref.jobId) {
      return await refuse("the node answered with an unreadable result");
    }
    const applied = await applyDiscoveredTopics(deps.db, pipelineKeys(deps), ref.jobId, result.data);
    return { ...applied, jobId: ref.jobId };
  }
  if (job.kind === PURGE_ENTRY_VECTORS_JOB) {
    const result = purgeVectorsResultSchema.safeParse(answer);
    if (!result.success || !result.data.purged) {
      // A node without Chroma removed nothing; another node (or this one once configured) must do it.
      return await refuse("the node has no vector store (CHROMA_URL)");
    }
    if (job.status === "done") return { outcome: "duplicate", jobId: ref.jobId };
    await finishJob(deps.db, ref.jobId, "done", null, { purged: true });
    return { outcome: "applied", jobId: ref.jobId };
  }
  if (job.kind === TITLE_SESSION_JOB) {
    const result = titleSessionResultSchema.safeParse(answer);
    const applied =
      result.success && result.data.jobId === ref.jobId
        ? await applySessionTitle(deps.db, pipelineKeys(deps), ref.jobId, result.data)
        : { outcome: "mismatch" as const };
    if (applied.outcome === "mismatch") {
      return await refuse("the node answered with an unreadable title");
    }
    return { ...applied, outcome: applied.outcome, jobId: ref.jobId };
  }
  if (job.kind === WRITE_REFLECTION_JOB) {
    const result = writeReflectionResultSchema.safeParse(answer);
    if (!result.success || result.data.jobId !== ref.jobId) {
      return await refuse("the node answered with an unreadable reflection");
    }
    const applied = await applyWrittenReflection(deps.db, pipelineKeys(deps), ref.jobId, result.data);
    return { ...applied, jobId: ref.jobId };
  }
  if (job.kind === RECONCILE_VECTORS_JOB) {
    const result = listVectorsResultSchema.safeParse(answer);
    if (!result.success || result.data.jobId !== ref.jobId || !result.data.indexed) {
      return await refuse("the node has no vector store (CHROMA_URL) or answered an unreadable listing");
    }
    const applied = await applyReconcilePage(deps.db, ref.jobId, result.data);
    for (const next of applied.dispatch) await dispatchJob(deps, next);
    return { outcome: applied.outcome, jobId: ref.jobId };
  }
  if (job.kind === REINDEX_JOB) {
    const result = reindexResultSchema.safeParse(answer);
    if (!result.success || !result.data.indexed) {
      return await refuse("the node has no vector store (CHROMA_URL)");
    }
    return { outcome: await applyReindex(deps, ref.jobId, true), jobId: ref.jobId };
  }
  return { outcome: "unknown-job", jobId: ref.jobId };
}

/**
 * One attempt failed for good (QStash's retries to that node are spent). The job goes to another node,
 * up to MAX_ATTEMPTS, then fails with the reason; a transient cause is marked so the sweep retries it
 * once the cause may have cleared. A late failure of an attempt that is no longer the current one (the
 * job was re-dispatched meanwhile, or already done) changes nothing.
 */
export async function handleFailedAttempt(
  deps: PipelineDeps,
  jobId: string,
  attempt: number | undefined,
  reason: string,
  cause: { unreachable: boolean; transient: boolean },
): Promise<{ outcome: CallbackOutcome; userId?: string }> {
  const { unreachable } = cause;
  const { db } = deps;
  const decided = await db.transaction(async (tx) => {
    if (!(await lockJobOwners(tx, jobId))) return { outcome: "unknown-job" as const };
    const [job] = await tx.select().from(jobs).where(eq(jobs.id, jobId)).for("update");
    if (!job) return { outcome: "unknown-job" as const };
    if (job.status !== "running") return { outcome: "ignored-stale-attempt" as const };
    if (attempt !== undefined && attempt !== job.attempts)
      return { outcome: "ignored-stale-attempt" as const };
    const now = new Date();
    const text =
      job.attempts <= MAX_ATTEMPTS
        ? `Attempt ${job.attempts} of ${MAX_ATTEMPTS} failed: ${reason}.`
        : `Retry ${job.attempts - MAX_ATTEMPTS} of ${MAX_TOTAL_ATTEMPTS - MAX_ATTEMPTS} after failing failed: ${reason}.`;
    if (job.attempts >= MAX_ATTEMPTS && NEVER_GIVE_UP.has(job.kind)) {
      // Vectors of deleted entries must leave the index eventually: a purge is never given up, only
      // retried further and further apart.
      const delayMs = purgeRetryDelayMs(job.attempts);
      await tx
        .update(jobs)
        .set({
          status: "queued",
          nodeId: null,
          error: `${text} Retrying in ${Math.round(delayMs / 1000)} s.`,
          availableAt: new Date(now.getTime() + delayMs),
          updatedAt: now,
        })
        .where(eq(jobs.id, jobId));
      return { outcome: "requeued" as const, job, backingOff: true };
    }
    if (job.attempts >= MAX_ATTEMPTS) {
      await tx
        .update(jobs)
        .set({
          status: "failed",
          error: text,
          result: failureResult(cause.transient),
          finishedAt: now,
          updatedAt: now,
        })
        .where(eq(jobs.id, jobId));
      return { outcome: "failed" as const, job };
    }
    await tx
      .update(jobs)
      .set({
        status: "queued",
        nodeId: null,
        error: `${text} Dispatching to another node.`,
        availableAt: now,
        updatedAt: now,
      })
      .where(eq(jobs.id, jobId));
    return { outcome: "requeued" as const, job };
  });
  if (!("job" in decided) || !decided.job) return { outcome: decided.outcome };
  const { job } = decided;
  if (unreachable && job.nodeId) await markUnreachable(db, job.nodeId);
  if (decided.outcome === "failed") {
    await JOB_KINDS[job.kind]?.withoutNode?.(db, job.id, pipelineKeys(deps));
    for (const purge of await purgeAfterAbandonedAnalysis(db, job)) await dispatchJob(deps, purge);
    const changed = await markAnalysisFailed(db, job, reason);
    return { outcome: "failed", ...(changed && job.userId ? { userId: job.userId } : {}) };
  }
  // A job backing off waits for the sweep to find it due.
  if (!("backingOff" in decided)) await dispatchJob(deps, jobId, { avoidNodeId: job.nodeId });
  return { outcome: "requeued" };
}

/** `Upstash-Failure-Callback`: QStash gave up delivering one attempt. */
export async function handleFailureCallback(
  deps: PipelineDeps,
  callback: QStashCallback,
): Promise<{ outcome: CallbackOutcome; jobId?: string; userId?: string }> {
  const ref = await bindDelivery(deps.db, callback);
  if (!ref.bound) {
    if (ref.outcome === "unknown-job") await purgeAfterLostJob(deps, callback);
    return { outcome: ref.outcome, ...(ref.jobId ? { jobId: ref.jobId } : {}) };
  }
  const { text, unreachable, transient } = failureReason(callback);
  return {
    ...(await handleFailedAttempt(deps, ref.jobId, ref.attempt, text, { unreachable, transient })),
    jobId: ref.jobId,
  };
}
