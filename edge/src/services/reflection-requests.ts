import { InkwellError, type Reflection, type ReflectionPeriod, uuidv7 } from "@inkwell/shared";
import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database, Tx } from "../db/client.ts";
import { jobs, reflections, users } from "../db/schema/index.ts";
import type { Position } from "../lib/cursor.ts";
import { exportSections, type LoadedExportSection, localDate } from "./export.ts";
import { periodWindow } from "./insights-growth.ts";
import { loadTimezone } from "./insights-range.ts";
import { dispatchJob, type PipelineDeps, pipelineKeys } from "./job-dispatch.ts";
import { schedulableNodes } from "./nodes.ts";
import { WRITE_REFLECTION_JOB } from "./reflection-jobs.ts";
import { openReflectionRow, REFLECTION_JOB, runReflectionJobAtEdge } from "./reflections.ts";
import { lockWriter, requireWriter } from "./writer-locks.ts";

export interface ReflectionRequest {
  reflectionId: string;
  jobId: string;
}

interface PeriodInput {
  userId: string;
  period: ReflectionPeriod;
  periodStart: Date;
  periodEnd: Date;
  timezone: string;
}

/** Who writes a reflection: a node's language model, or the edge (the structured one). */
export type ReflectionWriter = "node" | "edge";

/**
 * A node writes reflections when one serving a language model is healthy (and QStash can call the edge
 * back); otherwise the edge computes the structured reflection at once rather than leaving it waiting.
 */
export async function reflectionWriter(deps: Pick<PipelineDeps, "db" | "config">): Promise<ReflectionWriter> {
  if (!deps.config.EDGE_PUBLIC_URL) return "edge";
  const nodes = await schedulableNodes(deps.db, deps.config.NODE_HEARTBEAT_TTL_SECONDS, ["llm"]);
  return nodes.length > 0 ? "node" : "edge";
}

/**
 * The reflection row and its job commit together (the outbox). A node's job is `queued` like any other
 * (the sweep dispatches it if this request's own dispatch never happens). The edge's job is created
 * already claimed (`running`, no node) because the edge computes it itself; a dispatcher that sends
 * queued jobs to nodes must not pick it up as well.
 */
async function insertJob(
  tx: Tx,
  reflectionId: string,
  input: PeriodInput,
  writer: ReflectionWriter,
): Promise<string> {
  const jobId = uuidv7();
  await tx.insert(jobs).values({
    id: jobId,
    userId: input.userId,
    ...(writer === "node"
      ? { kind: WRITE_REFLECTION_JOB, status: "queued" as const, attempts: 0 }
      : { kind: REFLECTION_JOB, status: "running" as const, attempts: 1, startedAt: new Date() }),
    payload: {
      reflectionId,
      userId: input.userId,
      period: input.period,
      periodStart: input.periodStart.toISOString(),
      periodEnd: input.periodEnd.toISOString(),
      timezone: input.timezone,
    },
  });
  await tx.update(reflections).set({ jobId }).where(eq(reflections.id, reflectionId));
  return jobId;
}

/**
 * A job of the period younger than this still counts as in flight: asking again joins it. Older ones
 * are presumed lost (an edge job whose isolate died), and asking again starts over.
 */
export const REFLECTION_IN_FLIGHT_MS = 10 * 60_000;

/**
 * Asks for a reflection on the period containing `at`. While the period's reflection is being written
 * (its job queued or running, and recent), asking again answers that job rather than queueing another
 * LLM job: one in-flight reflection per user and period. Otherwise it starts over on the same row (the
 * newest job wins; an older one finishing late changes nothing).
 */
export async function requestReflection(
  db: Database,
  userId: string,
  period: ReflectionPeriod,
  at: Date,
  writer: ReflectionWriter = "edge",
): Promise<ReflectionRequest & { inFlight: boolean }> {
  const timezone = await loadTimezone(db, userId);
  const window = await periodWindow(db, timezone, period, at, 0);
  const input = { userId, period, periodStart: window.start, periodEnd: window.end, timezone };
  return await db.transaction(async (tx) => {
    await requireWriter(tx, userId);
    // A new row is locked by its insert: a concurrent request for the same period waits here, then
    // finds this one's job in flight below.
    const [created] = await tx
      .insert(reflections)
      .values({ id: uuidv7(), ...input, status: "pending" })
      .onConflictDoNothing({ target: [reflections.userId, reflections.period, reflections.periodStart] })
      .returning({ id: reflections.id });
    if (created) {
      return {
        reflectionId: created.id,
        jobId: await insertJob(tx, created.id, input, writer),
        inFlight: false,
      };
    }
    const [current] = await tx
      .select({
        id: reflections.id,
        status: reflections.status,
        jobId: reflections.jobId,
        jobStatus: jobs.status,
        jobUpdatedAt: jobs.updatedAt,
      })
      .from(reflections)
      .leftJoin(jobs, eq(jobs.id, reflections.jobId))
      .where(
        and(
          eq(reflections.userId, userId),
          eq(reflections.period, period),
          eq(reflections.periodStart, window.start),
        ),
      )
      .for("update", { of: reflections });
    if (!current) throw new InkwellError("INTERNAL", "The reflection could not be stored.");
    const inFlight =
      current.status === "pending" &&
      current.jobId !== null &&
      (current.jobStatus === "queued" || current.jobStatus === "running") &&
      current.jobUpdatedAt !== null &&
      Date.now() - current.jobUpdatedAt.getTime() < REFLECTION_IN_FLIGHT_MS;
    if (inFlight && current.jobId) return { reflectionId: current.id, jobId: current.jobId, inFlight: true };
    await tx
      .update(reflections)
      .set({
        status: "pending",
        generated: false,
        text: null,
        textCt: null,
        stats: null,
        themes: null,
        themesCt: null,
        citations: [],
        model: null,
        error: null,
        timezone,
        periodEnd: window.end,
        updatedAt: new Date(),
      })
      .where(eq(reflections.id, current.id));
    return {
      reflectionId: current.id,
      jobId: await insertJob(tx, current.id, input, writer),
      inFlight: false,
    };
  });
}

interface DueRow extends Record<string, unknown> {
  userId: string;
  timezone: string;
}

/**
 * The weekly reflections due at `scheduledTime`: for every opted-in writer whose local day is Monday,
 * last week's reflection (Monday 00:00 to Monday 00:00, local). The unique (user, period, start)
 * index makes this idempotent: the first run after local midnight creates it, every later one finds it.
 * Returns the jobs it created, for the caller to run.
 */
export async function createDueWeeklyReflections(
  db: Database,
  scheduledTime: Date,
  writer: ReflectionWriter = "edge",
): Promise<string[]> {
  const due = await db.execute<DueRow>(sql`
    select u.id as "userId", u.timezone
    from ${users} u
    where u.weekly_reflection and u.deleted_at is null
      -- A zone Postgres does not know would fail the whole statement, and with it everyone's reflection.
      and u.timezone in (select name from pg_timezone_names)
      and extract(isodow from ${scheduledTime.toISOString()}::timestamptz at time zone u.timezone) = 1`);
  const created: string[] = [];
  for (const user of due) {
    const window = await periodWindow(db, user.timezone, "week", scheduledTime, -1);
    const input = {
      userId: user.userId,
      period: "week" as const,
      periodStart: window.start,
      periodEnd: window.end,
      timezone: user.timezone,
    };
    const jobId = await db.transaction(async (tx) => {
      if (!(await lockWriter(tx, user.userId))) return null;
      const [row] = await tx
        .insert(reflections)
        .values({ id: uuidv7(), ...input, status: "pending" })
        .onConflictDoNothing({ target: [reflections.userId, reflections.period, reflections.periodStart] })
        .returning({ id: reflections.id });
      return row ? await insertJob(tx, row.id, input, writer) : null;
    });
    if (jobId) created.push(jobId);
  }
  return created;
}

/**
 * Starts a reflection's job: hands a node's job to the pipeline (which falls back to the structured
 * reflection when no node can take it), or computes the structured reflection at the edge.
 */
export async function startReflectionJob(deps: PipelineDeps, jobId: string): Promise<void> {
  const [job] = await deps.db.select({ kind: jobs.kind }).from(jobs).where(eq(jobs.id, jobId)).limit(1);
  if (job?.kind === WRITE_REFLECTION_JOB) await dispatchJob(deps, jobId);
  else if (job) await runReflectionJobAtEdge(deps.db, pipelineKeys(deps), jobId);
}

/** An edge job `running` this long was lost with its isolate (the work takes well under a second). */
const EDGE_JOB_LEASE_MS = 10 * 60_000;

/**
 * Structured reflections whose computation was lost (the isolate ended before its `waitUntil` ran) are
 * computed now, so no reflection stays pending. Jobs of the node pipeline are the sweep's business.
 */
export async function recoverLostReflections(
  db: Database,
  keys: KeySource,
  now = new Date(),
): Promise<number> {
  const lost = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.kind, REFLECTION_JOB),
        eq(jobs.status, "running"),
        sql`${jobs.startedAt} < ${new Date(now.getTime() - EDGE_JOB_LEASE_MS).toISOString()}::timestamptz`,
      ),
    )
    .limit(100);
  for (const job of lost) await runReflectionJobAtEdge(db, keys, job.id);
  return lost.length;
}

/** The cron task's body: create what is due, then start each (see startReflectionJob). */
export async function runWeeklyReflections(deps: PipelineDeps, scheduledTime: Date): Promise<number> {
  const writer = await reflectionWriter(deps);
  const created = await createDueWeeklyReflections(deps.db, scheduledTime, writer);
  for (const jobId of created) await startReflectionJob(deps, jobId);
  return created.length;
}

type ReflectionRow = typeof reflections.$inferSelect;

/** The API's view of a row whose text and themes were opened (openReflectionRow). */
export function toReflectionView(row: ReflectionRow): Reflection {
  return {
    id: row.id,
    period: row.period,
    periodStart: row.periodStart.toISOString(),
    periodEnd: row.periodEnd.toISOString(),
    timezone: row.timezone,
    status: row.status,
    generated: row.generated,
    text: row.text,
    stats: row.stats,
    themes: row.themes,
    citations: row.citations,
    jobId: row.jobId,
    model: row.model,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Newest period first; the cursor is the last item's (periodStart, id). */
export async function listReflections(
  db: Database,
  keys: KeySource,
  userId: string,
  options: { limit: number; period?: ReflectionPeriod | undefined; after?: Position | undefined },
): Promise<{ items: Reflection[]; last: Position | null }> {
  const conditions: (SQL | undefined)[] = [eq(reflections.userId, userId)];
  if (options.period) conditions.push(eq(reflections.period, options.period));
  if (options.after) {
    conditions.push(
      sql`(${reflections.periodStart}, ${reflections.id}) < (${new Date(options.after.at).toISOString()}::timestamptz, ${options.after.id}::uuid)`,
    );
  }
  const rows = await db
    .select()
    .from(reflections)
    .where(and(...conditions))
    .orderBy(desc(reflections.periodStart), desc(reflections.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const lastRow = page.at(-1);
  return {
    items: await Promise.all(page.map(async (row) => toReflectionView(await openReflectionRow(keys, row)))),
    last:
      rows.length > options.limit && lastRow
        ? { at: lastRow.periodStart.toISOString(), id: lastRow.id }
        : null,
  };
}

export async function findReflection(
  db: Database,
  keys: KeySource,
  userId: string,
  id: string,
): Promise<Reflection | null> {
  const [row] = await db
    .select()
    .from(reflections)
    .where(and(eq(reflections.id, id), eq(reflections.userId, userId)))
    .limit(1);
  return row ? toReflectionView(await openReflectionRow(keys, row)) : null;
}

function markdownReflections(items: Reflection[], owner: { timezone: string }): string {
  const parts = ["\n# Reflections\n"];
  for (const r of items) {
    const how = r.generated ? "" : " (figures and themes, written without a language model)";
    parts.push(
      `## ${r.period === "week" ? "Week" : "Month"} of ${localDate(r.periodStart, r.timezone)}${how}\n`,
    );
    if (r.text) parts.push(`${r.text}\n`);
    else parts.push(`*${r.status === "pending" ? "Still being written." : "Could not be written."}*\n`);
    if (r.citations.length > 0) {
      const dates = r.citations.map((c) =>
        c.occurredAt ? localDate(c.occurredAt, owner.timezone) : c.entryId,
      );
      parts.push(`*Entries it points to: ${dates.join(", ")}*\n`);
    }
  }
  return `${parts.join("\n")}\n`;
}

// The account export (GET /v1/me/export) carries every reflection too: they are the writer's data. A
// writer has one per week or month, so they are loaded at once.
const reflectionsExport: LoadedExportSection<Reflection> = {
  name: "reflections",
  async load(db, userId, keys) {
    const rows = await db
      .select()
      .from(reflections)
      .where(eq(reflections.userId, userId))
      .orderBy(desc(reflections.periodStart), desc(reflections.id));
    return await Promise.all(rows.map(async (row) => toReflectionView(await openReflectionRow(keys, row))));
  },
  markdown: markdownReflections,
};
exportSections.push(reflectionsExport);
