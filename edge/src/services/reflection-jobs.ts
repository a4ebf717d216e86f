import {
  estimateTokens,
  keepAllowedCitations,
  REFLECTION_ENTRY_TOKEN_BUDGET,
  REFLECTION_EXCERPT_CHARS,
  REFLECTION_MAX_ENTRIES,
  REFLECTION_MAX_TOKENS,
  type ReflectionCitation,
  type ReflectionExcerpt,
  reflectionJobPayloadSchema,
  reflectionStatsSchema,
  reflectionThemesSchema,
  SENTIMENT_LABELS,
  type WriteReflectionJob,
  type WriteReflectionResult,
} from "@inkwell/shared";
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { KeySource } from "../crypto/field-cipher.ts";
import { openJson, sealJson } from "../crypto/sealed-columns.ts";
import type { Database } from "../db/client.ts";
import { jobs, reflections, users } from "../db/schema/index.ts";
import { isUuid } from "../lib/ids.ts";
import { analysedBy, isoUtc, liveEntriesIn } from "./insights.ts";
import { lockOpenJob } from "./job-lock.ts";
import {
  buildStructuredReflection,
  loadReflectionFacts,
  type ReflectionFacts,
  runReflectionJobAtEdge,
  sealReflectionFields,
} from "./reflections.ts";

/** A reflection written by a node's language model (the `reflection` kind is the edge's structured one). */
export const WRITE_REFLECTION_JOB = "write-reflection";

/**
 * The job's payload grows as it is built: which entries each attempt sent (the only ones a result may
 * cite) and the figures the model saw, which the stored reflection keeps beside the text. The themes are
 * the writer's own keywords and topic names, so the row keeps them sealed (`themesSealed`, bound to the
 * job's row); `themes` in the clear is only read from jobs built before that.
 */
export const writeReflectionPayloadSchema = reflectionJobPayloadSchema.extend({
  sentEntryIds: z.array(z.string()).optional(),
  stats: reflectionStatsSchema.optional(),
  themes: reflectionThemesSchema.optional(),
  themesSealed: z.string().optional(),
});

/** Where a write-reflection job's sealed themes are bound: the job's own row. */
const themesRef = (userId: string, jobId: string) => ({ userId, table: "jobs", rowId: jobId });
const THEMES_COLUMN = "payload.themes";

type JobRow = typeof jobs.$inferSelect;
type Built = { kind: "publish"; body: object } | { kind: "finish"; note: string };

/** Most entries of a period looked at when choosing excerpts (a month of a prolific writer). */
const CANDIDATE_LIMIT = 400;
/** Per excerpt beyond its text: id, date and the other fields. */
const EXCERPT_OVERHEAD_TOKENS = 30;

interface CandidateRow extends Record<string, unknown> {
  id: string;
  occurredAt: string;
  localDate: string;
  title: string | null;
  head: string;
  mood: number | null;
  sentiment: string | null;
}

/** 0, n/2, n/4, 3n/4, …: any prefix of this order is spread evenly over the period. */
export function spreadOrder(n: number): number[] {
  if (n <= 0) return [];
  let bits = 0;
  while (1 << bits < n) bits += 1;
  const order: number[] = [];
  for (let i = 0; i < 1 << bits; i++) {
    let reversed = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) reversed |= 1 << (bits - 1 - b);
    if (reversed < n) order.push(reversed);
  }
  return order;
}

/**
 * The entries a model gets to read: the period's notable ones first, then others spread evenly over the
 * period, each cut to an excerpt, until the token budget or the entry cap is reached; chronological.
 */
export async function loadReflectionExcerpts(
  db: Database,
  userId: string,
  facts: ReflectionFacts,
  timezone: string,
): Promise<{ entries: ReflectionExcerpt[]; omitted: number }> {
  const rows = await db.execute<CandidateRow>(sql`
    select e.id, ${isoUtc(sql`e.occurred_at`)} as "occurredAt",
           to_char(e.occurred_at at time zone ${timezone}::text, 'YYYY-MM-DD') as "localDate",
           e.title, left(e.content, ${REFLECTION_EXCERPT_CHARS + 1}) as head, e.mood,
           a.sentiment_label as sentiment
    from entries e
    left join entry_analyses a on ${analysedBy(userId)}
    where ${liveEntriesIn(userId, { from: facts.periodStart, to: facts.periodEnd })}
    order by e.occurred_at, e.id
    limit ${CANDIDATE_LIMIT}`);
  const reasons = new Map<string, string[]>();
  for (const n of facts.notable) reasons.set(n.entryId, [...(reasons.get(n.entryId) ?? []), n.reason]);
  const notableIdx = rows.flatMap((r, i) => (reasons.has(r.id) ? [i] : []));
  const rest = rows.flatMap((r, i) => (reasons.has(r.id) ? [] : [i]));
  const order = [...notableIdx, ...spreadOrder(rest.length).map((k) => rest[k] as number)];
  const picked: number[] = [];
  let used = 0;
  for (const i of order) {
    if (picked.length >= REFLECTION_MAX_ENTRIES) break;
    const row = rows[i] as CandidateRow;
    const cost =
      estimateTokens(`${row.title ?? ""}${row.head.slice(0, REFLECTION_EXCERPT_CHARS)}`) +
      EXCERPT_OVERHEAD_TOKENS;
    if (used + cost > REFLECTION_ENTRY_TOKEN_BUDGET) continue;
    used += cost;
    picked.push(i);
  }
  picked.sort((a, b) => a - b);
  const entries = picked.map((i): ReflectionExcerpt => {
    const row = rows[i] as CandidateRow;
    const sentiment = SENTIMENT_LABELS.find((label) => label === row.sentiment);
    const notable = reasons.get(row.id);
    return {
      id: row.id,
      occurredAt: row.occurredAt,
      localDate: row.localDate,
      ...(row.title ? { title: row.title.slice(0, 200) } : {}),
      excerpt: row.head.slice(0, REFLECTION_EXCERPT_CHARS),
      truncated: row.head.length > REFLECTION_EXCERPT_CHARS,
      ...(row.mood !== null ? { mood: row.mood } : {}),
      ...(sentiment ? { sentiment } : {}),
      ...(notable ? { notable } : {}),
    };
  });
  return { entries, omitted: Math.max(0, facts.entryCount - entries.length) };
}

/** The reflection this job still owns, of a writer who still exists; undefined once replaced or deleted. */
async function ownedReflection(db: Database, jobId: string, reflectionId: string) {
  const [row] = await db
    .select({
      id: reflections.id,
      userId: reflections.userId,
      period: reflections.period,
      periodStart: reflections.periodStart,
      periodEnd: reflections.periodEnd,
      timezone: reflections.timezone,
    })
    .from(reflections)
    .innerJoin(users, eq(users.id, reflections.userId))
    .where(and(eq(reflections.id, reflectionId), eq(reflections.jobId, jobId), isNull(users.deletedAt)))
    .limit(1);
  return row;
}

/**
 * Builds the node's job body: the period's figures and themes (the structured reflection's) and the
 * excerpts, recording in the job which entries were sent. A period without entries gives a model
 * nothing to reflect on: it gets the structured reflection at once.
 */
export async function buildWriteReflection(
  db: Database,
  job: JobRow,
  attempt: number,
  keys: KeySource,
): Promise<Built> {
  const payload = writeReflectionPayloadSchema.parse(job.payload);
  const row = await ownedReflection(db, job.id, payload.reflectionId);
  if (!row) {
    return { kind: "finish", note: "The reflection was deleted or asked for again; nothing to write." };
  }
  const facts = await loadReflectionFacts(db, keys, row.userId, row, new Date());
  if (facts.entryCount === 0) {
    await runReflectionJobAtEdge(db, keys, job.id);
    return { kind: "finish", note: "No entries in the period: the structured reflection was stored." };
  }
  const structured = buildStructuredReflection(facts);
  const { entries, omitted } = await loadReflectionExcerpts(db, row.userId, facts, row.timezone);
  const sentEntryIds = [...new Set([...(payload.sentEntryIds ?? []), ...entries.map((e) => e.id)])];
  await db
    .update(jobs)
    .set({
      payload: {
        ...withoutPlainThemes(payload),
        sentEntryIds,
        stats: structured.stats,
        themesSealed: await sealJson(keys, themesRef(row.userId, job.id), THEMES_COLUMN, structured.themes),
      },
    })
    .where(eq(jobs.id, job.id));
  const body: WriteReflectionJob = {
    jobId: job.id,
    attempt,
    reflectionId: row.id,
    period: row.period,
    periodStart: row.periodStart.toISOString(),
    periodEnd: row.periodEnd.toISOString(),
    timezone: row.timezone,
    stats: structured.stats,
    themes: structured.themes,
    entries,
    omittedEntries: omitted,
    maxTokens: REFLECTION_MAX_TOKENS,
  };
  return { kind: "publish", body };
}

/**
 * Per delivery: a reflection is a few hundred tokens from a model that may run on a CPU. Four deliveries
 * (QStash's retries) of this length still end inside the pipeline's running lease.
 */
export const WRITE_REFLECTION_TIMEOUT_SECONDS = 120;

/**
 * No node can write it, or its last attempt failed: the writer gets the structured reflection instead,
 * at once, so a reflection never stays pending. Answers the job's note.
 */
export async function writeStructuredInstead(db: Database, jobId: string, keys: KeySource): Promise<string> {
  const [job] = await db
    .select({ status: jobs.status, error: jobs.error })
    .from(jobs)
    .where(eq(jobs.id, jobId))
    .limit(1);
  const note =
    job?.status === "failed"
      ? `${job.error ?? "The language model could not write it."} The structured reflection was stored instead.`
      : "No inference node serves a language model: the structured reflection was stored instead.";
  await runReflectionJobAtEdge(db, keys, jobId, new Date(), note);
  return note;
}

export type AppliedOutcome = "applied" | "duplicate" | "discarded-stale" | "unknown-job";

/**
 * Stores what a node's model wrote. Written once (the job row is locked; a second delivery sees `done`),
 * only while the reflection still belongs to this job and its writer exists. Only citations of entries
 * the job sent that are still the writer's live entries inside the period survive, in the list and in
 * the text: a model may invent, mix up or be talked into other ids.
 */
export async function applyWrittenReflection(
  db: Database,
  keys: KeySource,
  jobId: string,
  result: WriteReflectionResult,
): Promise<{ outcome: AppliedOutcome; userId?: string }> {
  // Whose the job is never changes: the owner's key is made ready before the transaction, so sealing
  // inside it needs no query of its own.
  const [owner] = await db.select({ userId: jobs.userId }).from(jobs).where(eq(jobs.id, jobId)).limit(1);
  if (owner?.userId) await keys.current(owner.userId);
  return await db.transaction(async (tx) => {
    const locked = await lockOpenJob(tx, jobId);
    if ("outcome" in locked) return { outcome: locked.outcome };
    const { job } = locked;
    const now = new Date();
    const payload = writeReflectionPayloadSchema.safeParse(job.payload);
    const [row] = payload.success
      ? await tx
          .select({
            id: reflections.id,
            userId: reflections.userId,
            periodStart: reflections.periodStart,
            periodEnd: reflections.periodEnd,
          })
          .from(reflections)
          .innerJoin(users, eq(users.id, reflections.userId))
          .where(
            and(
              eq(reflections.id, payload.data.reflectionId),
              eq(reflections.jobId, jobId),
              isNull(users.deletedAt),
            ),
          )
          .for("update", { of: reflections })
      : [];
    if (!payload.success || !row || result.reflectionId !== row.id) {
      await tx
        .update(jobs)
        .set({
          status: "done",
          error: "Result discarded: the reflection was deleted or asked for again meanwhile.",
          finishedAt: now,
          updatedAt: now,
        })
        .where(eq(jobs.id, jobId));
      return { outcome: "discarded-stale" as const };
    }
    const sent = new Set(payload.data.sentEntryIds ?? []);
    const wanted = [...new Set(result.citations.map((c) => c.entryId))].filter(
      (id) => sent.has(id) && isUuid(id),
    );
    const live =
      wanted.length === 0
        ? []
        : await tx.execute<{ id: string; occurredAt: string }>(sql`
            select e.id, ${isoUtc(sql`e.occurred_at`)} as "occurredAt" from entries e
            where ${liveEntriesIn(row.userId, { from: row.periodStart, to: row.periodEnd })}
              and e.id in (${sql.join(
                wanted.map((id) => sql`${id}::uuid`),
                sql`, `,
              )})`);
    const occurred = new Map(live.map((r) => [r.id, r.occurredAt]));
    const kept = keepAllowedCitations(result.text, new Set(occurred.keys()));
    const citations: ReflectionCitation[] = kept.citations.map(({ entryId }) => ({
      entryId,
      occurredAt: occurred.get(entryId) ?? "",
    }));
    const themes = await openJson<z.infer<typeof reflectionThemesSchema>, null>(
      keys,
      themesRef(row.userId, jobId),
      THEMES_COLUMN,
      payload.data.themesSealed ?? null,
      null,
    );
    const sealed = await sealReflectionFields(keys, row, {
      text: kept.text,
      themes: reflectionThemesSchema.optional().parse(themes ?? payload.data.themes ?? undefined),
    });
    await tx
      .update(reflections)
      .set({
        status: "done",
        generated: true,
        ...sealed,
        citations,
        ...(payload.data.stats ? { stats: payload.data.stats } : {}),
        model: result.model,
        error: null,
        updatedAt: now,
      })
      .where(eq(reflections.id, row.id));
    await tx
      .update(jobs)
      .set({
        status: "done",
        error: null,
        finishedAt: now,
        updatedAt: now,
        result: {
          reflectionId: row.id,
          generated: true,
          citations: citations.length,
          droppedCitations: result.citations.length - citations.length,
          ...(result.finishReason ? { finishReason: result.finishReason } : {}),
        },
      })
      .where(eq(jobs.id, jobId));
    return { outcome: "applied" as const, userId: row.userId };
  });
}

/** The payload without a clear-text copy of the themes (a job built before they were sealed). */
function withoutPlainThemes(
  payload: z.infer<typeof writeReflectionPayloadSchema>,
): Omit<z.infer<typeof writeReflectionPayloadSchema>, "themes"> {
  const { themes: _plain, ...rest } = payload;
  return rest;
}
