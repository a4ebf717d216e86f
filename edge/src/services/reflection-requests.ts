import { InkwellError, type Reflection, type ReflectionPeriod, uuidv7 } from "@inkwell/shared";
import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { jobs, reflections, users } from "../db/schema/index.ts";
import type { Position } from "../lib/cursor.ts";
import { exportSections } from "./export.ts";
import { periodWindow } from "./insights-growth.ts";
import { loadTimezone } from "./insights-range.ts";
import { REFLECTION_JOB, runReflectionJobAtEdge } from "./reflections.ts";

type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

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

/**
 * The reflection row and its job commit together (the outbox). The job is created already claimed
 * (`running`, no node) because the edge computes the structured reflection itself; a dispatcher that
 * sends queued jobs to nodes must not pick it up as well.
 */
async function insertJob(tx: Tx, reflectionId: string, input: PeriodInput): Promise<string> {
  const jobId = uuidv7();
  await tx.insert(jobs).values({
    id: jobId,
    userId: input.userId,
    kind: REFLECTION_JOB,
    status: "running",
    attempts: 1,
    startedAt: new Date(),
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
 * Asks for a reflection on the period containing `at`. Asking again for the same period starts it
 * over on the same row (the newest job wins; an older one finishing late changes nothing).
 */
export async function requestReflection(
  db: Database,
  userId: string,
  period: ReflectionPeriod,
  at: Date,
): Promise<ReflectionRequest> {
  const timezone = await loadTimezone(db, userId);
  const window = await periodWindow(db, timezone, period, at, 0);
  const input = { userId, period, periodStart: window.start, periodEnd: window.end, timezone };
  return await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(reflections)
      .values({ id: uuidv7(), ...input, status: "pending" })
      .onConflictDoUpdate({
        target: [reflections.userId, reflections.period, reflections.periodStart],
        set: {
          status: "pending",
          generated: false,
          text: null,
          stats: null,
          themes: null,
          citations: [],
          model: null,
          error: null,
          timezone,
          periodEnd: window.end,
          updatedAt: new Date(),
        },
      })
      .returning({ id: reflections.id });
    if (!row) throw new InkwellError("INTERNAL", "The reflection could not be stored.");
    const jobId = await insertJob(tx, row.id, input);
    return { reflectionId: row.id, jobId };
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
export async function createDueWeeklyReflections(db: Database, scheduledTime: Date): Promise<string[]> {
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
      const [row] = await tx
        .insert(reflections)
        .values({ id: uuidv7(), ...input, status: "pending" })
        .onConflictDoNothing({ target: [reflections.userId, reflections.period, reflections.periodStart] })
        .returning({ id: reflections.id });
      return row ? await insertJob(tx, row.id, input) : null;
    });
    if (jobId) created.push(jobId);
  }
  return created;
}

/** The cron task's body: create what is due, then compute each at the edge (see runReflectionJobAtEdge). */
export async function runWeeklyReflections(db: Database, scheduledTime: Date): Promise<number> {
  const created = await createDueWeeklyReflections(db, scheduledTime);
  for (const jobId of created) await runReflectionJobAtEdge(db, jobId);
  return created.length;
}

type ReflectionRow = typeof reflections.$inferSelect;

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
    items: page.map(toReflectionView),
    last:
      rows.length > options.limit && lastRow
        ? { at: lastRow.periodStart.toISOString(), id: lastRow.id }
        : null,
  };
}

export async function findReflection(db: Database, userId: string, id: string): Promise<Reflection | null> {
  const [row] = await db
    .select()
    .from(reflections)
    .where(and(eq(reflections.id, id), eq(reflections.userId, userId)))
    .limit(1);
  return row ? toReflectionView(row) : null;
}

// The account export (GET /v1/me/export) carries every reflection too: they are the writer's data.
exportSections.push({
  name: "reflections",
  async load(db, userId) {
    const rows = await db
      .select()
      .from(reflections)
      .where(eq(reflections.userId, userId))
      .orderBy(desc(reflections.periodStart), desc(reflections.id));
    return rows.map(toReflectionView);
  },
});
