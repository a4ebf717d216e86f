import { DISCOVER_TOPICS_JOB, type DiscoverTopicsResult, InkwellError, uuidv7 } from "@inkwell/shared";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database, Tx } from "../db/client.ts";
import { entries, entryTopics, jobs, topics, users } from "../db/schema/index.ts";
import { isUuid } from "../lib/ids.ts";
import { errorName, log } from "../lib/log.ts";
import { dispatchJob, eachLimited, type PipelineDeps } from "./job-dispatch.ts";
import { lockOpenJob, readyJobOwnerKey } from "./job-lock.ts";
import { sealTopicFields } from "./topic-fields.ts";
import { lockWriter } from "./writer-locks.ts";

/** The longest topic name (as for topics a writer makes). */
const NAME_MAX = 80;

export type DiscoveryOutcome = "applied" | "duplicate" | "unknown-job" | "discarded-stale";

/** A label as a topic name: trimmed, bounded, and made unique among the writer's discovered topics. */
function uniqueName(label: string, used: Set<string>): string {
  const base = label.trim().slice(0, NAME_MAX) || "Topic";
  let name = base;
  for (let n = 2; used.has(name.toLowerCase()); n++) {
    const suffix = ` (${n})`;
    name = `${base.slice(0, NAME_MAX - suffix.length)}${suffix}`;
  }
  used.add(name.toLowerCase());
  return name;
}

async function closeJob(tx: Tx, jobId: string, note: string | null, result?: Record<string, unknown>) {
  const now = new Date();
  await tx
    .update(jobs)
    .set({ status: "done", error: note, finishedAt: now, updatedAt: now, ...(result ? { result } : {}) })
    .where(eq(jobs.id, jobId));
}

/**
 * Stores one discovery run for its writer, in one transaction: the writer's discovered topics become
 * exactly the run's topics (continuing ones keep their ids, new ones get fresh ids, the rest are retired),
 * and their entry links are replaced. Topics the writer made are never touched. The locked job row orders
 * duplicate deliveries (the second sees `done`); a result for a deleted account, or about another writer,
 * is dropped; members are kept only when they are the writer's live entries.
 */
export async function applyDiscoveredTopics(
  db: Database,
  keys: KeySource,
  jobId: string,
  result: DiscoverTopicsResult,
): Promise<{ outcome: DiscoveryOutcome; userId?: string }> {
  // Keywords are stored sealed (topic-fields.ts).
  await readyJobOwnerKey(db, keys, jobId);
  return await db.transaction(async (tx) => {
    const locked = await lockOpenJob(tx, jobId);
    if ("outcome" in locked) return { outcome: locked.outcome };
    const { job } = locked;
    const userId = job.userId;
    if (!userId || result.userId !== userId) {
      await closeJob(tx, jobId, "Result discarded: it was not about this job's writer.");
      return { outcome: "discarded-stale" as const };
    }
    // The writer's row is locked already (lockOpenJob): an account deletion waits for this write, or the
    // job went with the account. An account only marked deleted gets nothing written.
    const [user] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.deletedAt)));
    if (!user) {
      await closeJob(tx, jobId, "Result discarded: the account was deleted meanwhile.");
      return { outcome: "discarded-stale" as const };
    }

    const existing = await tx
      .select({ id: topics.id, name: topics.name, nameSetByUser: topics.nameSetByUser })
      .from(topics)
      .where(and(eq(topics.userId, userId), eq(topics.kind, "discovered")))
      .for("update");
    const existingIds = new Set(existing.map((t) => t.id));
    // A name the writer chose stays with its topic for as long as a run continues that topic; it is
    // reserved first, so no freshly labelled topic can take it.
    const kept = new Map<string, string>();
    for (const topic of existing) {
      if (topic.nameSetByUser && result.topics.some((t) => t.id === topic.id)) kept.set(topic.id, topic.name);
    }
    const used = new Set<string>([...kept.values()].map((name) => name.toLowerCase()));
    const continuing = new Set<string>();
    const planned = result.topics.map((topic) => {
      // Only one of this writer's own discovered topics can be continued; anything else is a new topic.
      const continues = existingIds.has(topic.id) && !continuing.has(topic.id);
      if (continues) continuing.add(topic.id);
      const keptName = continues ? kept.get(topic.id) : undefined;
      return {
        id: continues ? topic.id : uuidv7(),
        name: keptName ?? uniqueName(topic.label, used),
        keywords: topic.keywords.map((k) => k.slice(0, NAME_MAX)).slice(0, 50),
        centroid: topic.centroid,
        memberIds: topic.memberIds,
      };
    });

    const candidates = [...new Set(planned.flatMap((t) => t.memberIds))].filter(isUuid);
    const live = new Set<string>();
    for (let i = 0; i < candidates.length; i += 1000) {
      const rows = await tx
        .select({ id: entries.id })
        .from(entries)
        .where(
          and(
            eq(entries.userId, userId),
            isNull(entries.deletedAt),
            inArray(entries.id, candidates.slice(i, i + 1000)),
          ),
        );
      for (const row of rows) live.add(row.id);
    }

    const retired = [...existingIds].filter((id) => !continuing.has(id));
    if (retired.length > 0) {
      await tx
        .delete(topics)
        .where(and(eq(topics.userId, userId), eq(topics.kind, "discovered"), inArray(topics.id, retired)));
    }
    if (continuing.size > 0) {
      await tx
        .delete(entryTopics)
        .where(and(eq(entryTopics.userId, userId), inArray(entryTopics.topicId, [...continuing])));
      // Names move between continuing topics (a label can change hands): free them all first, so the
      // unique (user, kind, name) index never sees two at once.
      await tx
        .update(topics)
        .set({ name: sql`${topics.id}::text` })
        .where(
          and(eq(topics.userId, userId), eq(topics.kind, "discovered"), inArray(topics.id, [...continuing])),
        );
    }
    const now = new Date();
    if (planned.length > 0) {
      const sealed = await Promise.all(
        planned.map((t) => sealTopicFields(keys, { userId, id: t.id }, { keywords: t.keywords })),
      );
      await tx
        .insert(topics)
        .values(
          planned.map((t, i) => ({
            id: t.id,
            userId,
            kind: "discovered" as const,
            name: t.name,
            ...sealed[i],
            centroid: t.centroid,
            model: result.model,
            createdAt: now,
            updatedAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: topics.id,
          set: {
            name: sql`excluded.name`,
            keywords: sql`excluded.keywords`,
            keywordsCt: sql`excluded.keywords_ct`,
            centroid: sql`excluded.centroid`,
            model: sql`excluded.model`,
            updatedAt: now,
          },
          setWhere: and(eq(topics.userId, userId), eq(topics.kind, "discovered")),
        });
    }
    const links = planned.flatMap((t) =>
      [...new Set(t.memberIds)]
        .filter((id) => live.has(id))
        .map((entryId) => ({ entryId, topicId: t.id, userId })),
    );
    for (let i = 0; i < links.length; i += 1000) {
      await tx
        .insert(entryTopics)
        .values(links.slice(i, i + 1000))
        .onConflictDoNothing();
    }
    await closeJob(tx, jobId, null, {
      model: result.model,
      topics: planned.length,
      retired: retired.length,
      linkedEntries: links.length,
    });
    return { outcome: "applied" as const, userId };
  });
}

export interface DiscoveryThresholds {
  /** Analysed entries since the writer's last discovery job. */
  minNew: number;
  /** Analysed entries in all. */
  minTotal: number;
}

/** How many of the writer's live entries were analysed after `after` (ever, when null), counting to `limit`. */
async function countAnalysed(tx: Tx, userId: string, after: Date | null, limit: number): Promise<number> {
  const [row] = await tx.execute<{ n: number }>(sql`
    select count(*)::int as n from (
      select 1 from entry_analyses a join entries e on e.id = a.entry_id
      where a.user_id = ${userId}::uuid and a.status = 'done' and e.user_id = ${userId}::uuid
        and e.deleted_at is null ${after ? sql`and a.analyzed_at > ${after.toISOString()}::timestamptz` : sql``}
      limit ${limit}) x`);
  return row?.n ?? 0;
}

/** Whether any entry was analysed (written or edited) or deleted since `since`: a new run could differ. */
async function changedSince(tx: Tx, userId: string, since: Date): Promise<boolean> {
  if ((await countAnalysed(tx, userId, since, 1)) > 0) return true;
  const [row] = await tx.execute<{ deleted: boolean }>(sql`
    select exists (select 1 from entries e
      where e.user_id = ${userId}::uuid and e.deleted_at > ${since.toISOString()}::timestamptz) as deleted`);
  return row?.deleted ?? true;
}

/** Bounded counts: only whether the thresholds are met matters, so neither reads more rows than needed. */
async function enoughNewEntries(
  tx: Tx,
  userId: string,
  since: Date | null,
  thresholds: DiscoveryThresholds,
): Promise<boolean> {
  if ((await countAnalysed(tx, userId, since, thresholds.minNew)) < thresholds.minNew) return false;
  if (thresholds.minTotal <= thresholds.minNew && since === null) return true;
  return (await countAnalysed(tx, userId, null, thresholds.minTotal)) >= thresholds.minTotal;
}

/**
 * Queues a discovery run for one writer when the thresholds are met (none: always). A transaction-scoped
 * advisory lock per writer makes check-and-insert atomic, so concurrent callbacks, the cron and the
 * writer's own request never queue two; a run already queued or running is returned instead.
 */
export async function queueTopicDiscovery(
  db: Database,
  userId: string,
  thresholds?: DiscoveryThresholds,
  options: { reuseUnchanged?: boolean } = {},
): Promise<{ jobId: string; created: boolean } | undefined> {
  return await db.transaction(async (tx) => {
    // The writer's row first (writer-locks.ts), then the per-writer advisory lock.
    if (!(await lockWriter(tx, userId))) return undefined;
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtextextended(${`inkwell:discover-topics:${userId}`}, 0))`,
    );
    // The newest discovery job is the active one if any (only one is ever queued or running).
    const [last] = await tx
      .select({ id: jobs.id, status: jobs.status, createdAt: jobs.createdAt })
      .from(jobs)
      .where(and(eq(jobs.userId, userId), eq(jobs.kind, DISCOVER_TOPICS_JOB)))
      .orderBy(sql`${jobs.createdAt} desc`)
      .limit(1);
    if (last && (last.status === "queued" || last.status === "running")) {
      return { jobId: last.id, created: false };
    }
    if (
      options.reuseUnchanged &&
      last?.status === "done" &&
      !(await changedSince(tx, userId, last.createdAt))
    ) {
      return { jobId: last.id, created: false };
    }
    if (thresholds && !(await enoughNewEntries(tx, userId, last?.createdAt ?? null, thresholds))) {
      return undefined;
    }
    const jobId = uuidv7();
    await tx.insert(jobs).values({ id: jobId, userId, kind: DISCOVER_TOPICS_JOB, payload: {} });
    return { jobId, created: true };
  });
}

/**
 * After an analysis lands: once enough new entries have been analysed since the writer's last run, the
 * next run is queued and handed to a node. Never fails the caller: the result it follows is committed,
 * and a job left queued is dispatched by the minute sweep.
 */
export async function discoverAfterAnalysis(deps: PipelineDeps, userId: string): Promise<string | undefined> {
  try {
    const queued = await queueTopicDiscovery(deps.db, userId, {
      minNew: deps.config.TOPIC_DISCOVERY_MIN_NEW_ENTRIES,
      minTotal: deps.config.TOPIC_DISCOVERY_MIN_ENTRIES,
    });
    if (!queued?.created) return undefined;
    await dispatchJob(deps, queued.jobId);
    return queued.jobId;
  } catch (err) {
    log.warn("could not queue topic discovery", { error: errorName(err) });
    return undefined;
  }
}

/** Writers checked per page of the daily run. */
const CRON_PAGE = 500;

/**
 * Writers with at least one entry analysed since their last discovery job (or none yet), enough entries
 * in all, and no run queued or running: one page, in id order after `after`.
 */
async function writersDue(db: Database, minTotal: number, after: string | null): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`
    select u.id from users u
    left join lateral (
      select j.created_at, j.status from jobs j
      where j.user_id = u.id and j.kind = ${DISCOVER_TOPICS_JOB}
      order by j.created_at desc limit 1
    ) last on true
    where u.deleted_at is null ${after ? sql`and u.id > ${after}::uuid` : sql``}
      and (last.status is null or last.status not in ('queued', 'running'))
      and exists (
        select 1 from entry_analyses a join entries e on e.id = a.entry_id and e.deleted_at is null
        where a.user_id = u.id and a.status = 'done'
          and (last.created_at is null or a.analyzed_at > last.created_at))
      and (select count(*) from (
        select 1 from entry_analyses a join entries e on e.id = a.entry_id and e.deleted_at is null
        where a.user_id = u.id and a.status = 'done' limit ${minTotal}) x) >= ${minTotal}
    order by u.id
    limit ${CRON_PAGE}`);
  return rows.map((row) => row.id);
}

/**
 * The daily run: queues discovery for every writer with new analysed entries since their last run, so
 * topics follow a journal that grows slowly (under the per-write threshold). Idempotent: a second run
 * finds the queued jobs (or, once they are done, nothing new) and queues nothing. The jobs are handed to
 * nodes by the every-minute sweep, which spreads them out instead of loading every node at once.
 */
export async function queueDailyDiscovery(db: Database, minTotal: number): Promise<number> {
  let queued = 0;
  let after: string | null = null;
  for (;;) {
    const page = await writersDue(db, minTotal, after);
    await eachLimited(page, 4, async (userId) => {
      const result = await queueTopicDiscovery(db, userId, { minNew: 1, minTotal });
      if (result?.created) queued += 1;
    });
    if (page.length < CRON_PAGE) return queued;
    after = page.at(-1) ?? null;
  }
}

/**
 * For the writer's own request (`POST /v1/topics/discover`): a run now; or the run already queued or
 * running; or, when no entry was analysed or deleted since the last run finished, that run (another would
 * find the same topics).
 */
export async function requestTopicDiscovery(
  deps: PipelineDeps,
  userId: string,
): Promise<{ jobId: string; created: boolean }> {
  const queued = await queueTopicDiscovery(deps.db, userId, undefined, { reuseUnchanged: true });
  if (!queued) throw new InkwellError("NOT_FOUND", "No such account.");
  return queued;
}
