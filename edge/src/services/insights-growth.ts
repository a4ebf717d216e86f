import type { GrowthInsights, ReflectionPeriod } from "@inkwell/shared";
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { analysedBy, emotionDistribution, isoUtc, liveEntriesIn, topicLinksBy } from "./insights.ts";
import { round4, round4OrNull } from "./insights-range.ts";

/** A local calendar period (ISO week from Monday 00:00, or calendar month) as UTC instants. */
export interface PeriodWindow {
  start: Date;
  end: Date;
  /** `YYYY-MM-DD` of the local first day. */
  localStart: string;
  days: number;
  elapsedDays: number;
}

const PERIODS: readonly ReflectionPeriod[] = ["week", "month"];

function periodLiteral(period: ReflectionPeriod): SQL {
  if (!PERIODS.includes(period)) throw new Error("unknown period");
  return sql.raw(`'${period}'`);
}

interface WindowRow extends Record<string, unknown> {
  start: string;
  end: string;
  localStart: string;
  days: number;
  elapsedDays: number;
}

/**
 * The period containing `at` (offset 0) or one before it (offset -1), computed by Postgres on local
 * wall-clock time, so a week that crosses a DST change still starts and ends at local midnight.
 */
export async function periodWindow(
  db: Pick<Database, "execute">,
  timezone: string,
  period: ReflectionPeriod,
  at: Date,
  offset: 0 | -1,
): Promise<PeriodWindow> {
  const p = periodLiteral(period);
  const tz = sql`${timezone}::text`;
  const [row] = await db.execute<WindowRow>(sql`
    with w as (
      select date_trunc(${p}, ${at.toISOString()}::timestamptz at time zone ${tz}) + ${offset}::int * ('1 ' || ${p})::interval as s,
             (${at.toISOString()}::timestamptz at time zone ${tz})::date as at_day
    )
    select ${isoUtc(sql`s at time zone ${tz}`)} as start,
           ${isoUtc(sql`(s + ('1 ' || ${p})::interval) at time zone ${tz}`)} as "end",
           to_char(s, 'YYYY-MM-DD') as "localStart",
           ((s + ('1 ' || ${p})::interval)::date - s::date)::int as days,
           greatest(0, least((s + ('1 ' || ${p})::interval)::date - s::date, at_day - s::date + 1))::int as "elapsedDays"
    from w`);
  if (!row) throw new Error("period window returned no row");
  return {
    start: new Date(row.start),
    end: new Date(row.end),
    localStart: row.localStart,
    days: row.days,
    elapsedDays: row.elapsedDays,
  };
}

/** Ordinary least squares slope of y against x; null with fewer than two distinct x. */
export function leastSquaresSlope(points: { x: number; y: number }[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - meanX) * (p.y - meanY);
    sxx += (p.x - meanX) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

interface DailyRow extends Record<string, unknown> {
  localDate: string;
  day: number;
  current: boolean;
  entries: number;
  words: number;
  avgSentiment: number | null;
}

interface TopicShiftRow extends Record<string, unknown> {
  id: string;
  name: string;
  current: number;
  previous: number;
}

function trend(rows: DailyRow[]) {
  const daily = rows
    .filter((row) => row.avgSentiment !== null)
    .map((row) => ({ localDate: row.localDate, day: row.day, avgSentiment: round4(row.avgSentiment ?? 0) }));
  const slope = leastSquaresSlope(daily.map((d) => ({ x: d.day, y: d.avgSentiment })));
  const mean = daily.length > 0 ? daily.reduce((s, d) => s + d.avgSentiment, 0) / daily.length : null;
  return {
    slopePerDay: round4OrNull(slope),
    meanDaily: round4OrNull(mean),
    daysWithSentiment: daily.length,
    daily,
  };
}

function consistency(rows: DailyRow[], window: PeriodWindow) {
  const daysWritten = rows.filter((row) => row.entries > 0).length;
  return {
    daysWritten,
    ratio: window.elapsedDays > 0 ? round4(daysWritten / window.elapsedDays) : 0,
    entries: rows.reduce((s, row) => s + row.entries, 0),
    words: rows.reduce((s, row) => s + row.words, 0),
  };
}

/**
 * This period against the one before: the sentiment trend (least squares over daily means, x = day
 * of the period), shifts in top-emotion shares, rising and fading topics, and the share of days written.
 * Aggregation happens in SQL; only per-day and per-topic rows reach the Worker.
 */
export async function growthInsights(
  db: Database,
  userId: string,
  timezone: string,
  period: ReflectionPeriod,
  at: Date,
): Promise<GrowthInsights> {
  const [current, previousRaw] = await Promise.all([
    periodWindow(db, timezone, period, at, 0),
    periodWindow(db, timezone, period, at, -1),
  ]);
  // The previous period is over, whatever day of the current one it is.
  const previous = { ...previousRaw, elapsedDays: previousRaw.days };
  const span = { from: previous.start, to: current.end };
  const tz = sql`${timezone}::text`;
  const [daily, emotionsNow, emotionsBefore, topicRows] = await Promise.all([
    db.execute<DailyRow>(sql`
      with scoped as (
        select (e.occurred_at at time zone ${tz})::date as d, e.occurred_at >= ${current.start.toISOString()}::timestamptz as cur,
               e.word_count, a.sentiment_score
        from entries e
        left join entry_analyses a on ${analysedBy(userId)}
        where ${liveEntriesIn(userId, span)}
      )
      select to_char(d, 'YYYY-MM-DD') as "localDate",
             (d - (case when cur then ${current.localStart} else ${previous.localStart} end)::date)::int as day,
             cur as current,
             count(*)::int as entries,
             sum(word_count)::float8 as words,
             avg(sentiment_score)::float8 as "avgSentiment"
      from scoped
      group by d, cur
      order by d`),
    emotionDistribution(db, userId, { from: current.start, to: current.end }),
    emotionDistribution(db, userId, { from: previous.start, to: previous.end }),
    db.execute<TopicShiftRow>(sql`
      select t.id, t.name,
             (count(*) filter (where e.occurred_at >= ${current.start.toISOString()}::timestamptz))::int as current,
             (count(*) filter (where e.occurred_at < ${current.start.toISOString()}::timestamptz))::int as previous
      from entries e
      join entry_topics et on ${topicLinksBy(userId)}
      join topics t on t.id = et.topic_id and t.user_id = ${userId}::uuid
      where ${liveEntriesIn(userId, span)}
      group by t.id, t.name`),
  ]);
  const currentDays = daily.filter((row) => row.current);
  const previousDays = daily.filter((row) => !row.current);
  const sentimentNow = trend(currentDays);
  const sentimentBefore = trend(previousDays);

  const labels = new Set([...emotionsNow.items, ...emotionsBefore.items].map((item) => item.label));
  const shifts = [...labels]
    .map((label) => {
      const now = emotionsNow.items.find((item) => item.label === label);
      const before = emotionsBefore.items.find((item) => item.label === label);
      const currentShare = now?.share ?? 0;
      const previousShare = before?.share ?? 0;
      return {
        label,
        currentShare,
        previousShare,
        delta: round4(currentShare - previousShare),
        currentCount: now?.count ?? 0,
        previousCount: before?.count ?? 0,
      };
    })
    .filter((shift) => shift.currentCount > 0 || shift.previousCount > 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.label.localeCompare(b.label));

  const topicShifts = topicRows.map((row) => ({ ...row, delta: row.current - row.previous }));
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  const consistencyNow = consistency(currentDays, current);
  const consistencyBefore = consistency(previousDays, previous);
  const windowView = (w: PeriodWindow) => ({
    start: w.start.toISOString(),
    end: w.end.toISOString(),
    localStart: w.localStart,
    days: w.days,
    elapsedDays: w.elapsedDays,
  });
  return {
    period,
    timezone,
    current: windowView(current),
    previous: windowView(previous),
    sentiment: {
      current: sentimentNow,
      previous: sentimentBefore,
      meanDelta:
        sentimentNow.meanDaily !== null && sentimentBefore.meanDaily !== null
          ? round4(sentimentNow.meanDaily - sentimentBefore.meanDaily)
          : null,
    },
    emotions: {
      currentAnalyzed: emotionsNow.analyzedEntries,
      previousAnalyzed: emotionsBefore.analyzedEntries,
      shifts,
    },
    topics: {
      rising: topicShifts
        .filter((t) => t.delta > 0)
        .sort((a, b) => b.delta - a.delta || byName(a, b))
        .map(({ id, name, current: c, previous: p, delta }) => ({
          id,
          name,
          current: c,
          previous: p,
          delta,
        })),
      fading: topicShifts
        .filter((t) => t.delta < 0)
        .sort((a, b) => a.delta - b.delta || byName(a, b))
        .map(({ id, name, current: c, previous: p, delta }) => ({
          id,
          name,
          current: c,
          previous: p,
          delta,
        })),
    },
    consistency: {
      current: consistencyNow,
      previous: consistencyBefore,
      delta: round4(consistencyNow.ratio - consistencyBefore.ratio),
    },
  };
}
