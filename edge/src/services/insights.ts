import {
  type EmotionInsights,
  type EmotionShare,
  type InsightBucket,
  type MoodInsights,
  type TopicInsights,
  type WritingInsights,
  weekdayNames,
} from "@inkwell/shared";
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { type InsightRange, round4, round4OrNull } from "./insights-range.ts";

/*
 * Every figure here is one SQL statement over the writer's live entries, bounded by
 * `entries_user_occurred_idx` (user_id, occurred_at) where deleted_at is null. Local days and weeks come
 * from `occurred_at AT TIME ZONE <zone>`: that yields the local wall-clock time, so a day is a
 * calendar day (23 or 25 hours across DST) and `date_trunc('week', …)` starts on the ISO Monday.
 */

const BUCKETS: readonly InsightBucket[] = ["day", "week", "month"];

/** The bucket goes into SQL as a literal (date_trunc needs the same expression in SELECT and GROUP BY). */
export function bucketLiteral(bucket: InsightBucket): SQL {
  if (!BUCKETS.includes(bucket)) throw new Error("unknown bucket");
  return sql.raw(`'${bucket}'`);
}

/** A UTC instant as the API writes times, from a timestamptz expression. */
export function isoUtc(expr: SQL): SQL {
  return sql`to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

const ts = (date: Date) => sql`${date.toISOString()}::timestamptz`;

/** The live entries of one writer in `[from, to)`: the predicate the partial index answers. */
export function liveEntriesIn(userId: string, range: { from: Date; to: Date } | null): SQL {
  const base = sql`e.user_id = ${userId}::uuid and e.deleted_at is null`;
  return range
    ? sql`${base} and e.occurred_at >= ${ts(range.from)} and e.occurred_at < ${ts(range.to)}`
    : base;
}

/** The writer's mood check-ins in `[from, to)`, through `mood_checkins_user_at_idx`. */
export function checkinsIn(userId: string, range: { from: Date; to: Date }): SQL {
  return sql`c.user_id = ${userId}::uuid and c.at >= ${ts(range.from)} and c.at < ${ts(range.to)}`;
}

/**
 * Joins a writer's finished analyses. Naming the user as a constant (not only via the entry) lets the
 * planner reach them through `entry_analyses_user_idx` when a long range makes per-entry primary-key
 * lookups look dear, instead of scanning every writer's analyses.
 */
export function analysedBy(userId: string): SQL {
  return sql`a.entry_id = e.id and a.user_id = ${userId}::uuid and a.status = 'done'`;
}

/** The same for topic links, through `entry_topics_user_entry_idx`. */
export function topicLinksBy(userId: string): SQL {
  return sql`et.entry_id = e.id and et.user_id = ${userId}::uuid`;
}

export interface BucketStart {
  bucketStart: string;
  localDate: string;
}

/** Every local bucket that `[from, to)` touches, so charts get explicit zeros for quiet days. */
export function bucketSeriesSql(timezone: string, bucket: InsightBucket, range: InsightRange): SQL {
  const b = bucketLiteral(bucket);
  const tz = sql`${timezone}::text`;
  return sql`
    select ${isoUtc(sql`g.local_start at time zone ${tz}`)} as "bucketStart",
           to_char(g.local_start, 'YYYY-MM-DD') as "localDate"
    from generate_series(
      date_trunc(${b}, ${ts(range.from)} at time zone ${tz}),
      date_trunc(${b}, (${ts(range.to)} - interval '1 microsecond') at time zone ${tz}),
      ('1 ' || ${b})::interval
    ) as g(local_start)
    order by g.local_start`;
}

export async function bucketSeries(
  db: Database,
  timezone: string,
  bucket: InsightBucket,
  range: InsightRange,
): Promise<BucketStart[]> {
  // An empty range has no buckets (generate_series would still emit the one `from` falls in).
  if (range.from.getTime() >= range.to.getTime()) return [];
  return [
    ...(await db.execute<{ bucketStart: string; localDate: string }>(
      bucketSeriesSql(timezone, bucket, range),
    )),
  ];
}

export function moodSql(userId: string, timezone: string, bucket: InsightBucket, range: InsightRange): SQL {
  const b = bucketLiteral(bucket);
  return sql`
    with scoped as (
      select date_trunc(${b}, e.occurred_at at time zone ${timezone}::text) as local_start,
             e.mood, a.sentiment_score::float8 as sentiment_score, true as is_entry
      from entries e
      left join entry_analyses a on ${analysedBy(userId)}
      where ${liveEntriesIn(userId, range)}
      union all
      -- A check-in is one more mood rating, weighed as an entry's own mood is; it has no sentiment.
      select date_trunc(${b}, c.at at time zone ${timezone}::text), c.mood, null::float8, false
      from mood_checkins c
      where ${checkinsIn(userId, range)}
    )
    select to_char(local_start, 'YYYY-MM-DD') as "localDate",
           (count(*) filter (where is_entry))::int as "entryCount",
           count(mood)::int as "moodCount",
           avg(mood)::float8 as "avgMood",
           count(sentiment_score)::int as "analyzedCount",
           avg(sentiment_score)::float8 as "avgSentiment"
    from scoped
    group by local_start`;
}

interface MoodRow extends Record<string, unknown> {
  localDate: string;
  entryCount: number;
  moodCount: number;
  avgMood: number | null;
  analyzedCount: number;
  avgSentiment: number | null;
}

/** Entries, mean mood and mean sentiment per local day, week or month; quiet buckets are zeros. */
export async function moodSeries(
  db: Database,
  userId: string,
  timezone: string,
  bucket: InsightBucket,
  range: InsightRange,
): Promise<MoodInsights> {
  const [buckets, rows] = await Promise.all([
    bucketSeries(db, timezone, bucket, range),
    db.execute<MoodRow>(moodSql(userId, timezone, bucket, range)),
  ]);
  const byDate = new Map(rows.map((row) => [row.localDate, row]));
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    timezone,
    bucket,
    items: buckets.map((start) => {
      const row = byDate.get(start.localDate);
      return {
        ...start,
        entryCount: row?.entryCount ?? 0,
        avgMood: round4OrNull(row?.avgMood),
        avgSentiment: round4OrNull(row?.avgSentiment),
        moodCount: row?.moodCount ?? 0,
        analyzedCount: row?.analyzedCount ?? 0,
      };
    }),
  };
}

/**
 * Each finished analysis votes for its strongest emotion (ties: the label first in alphabetical order),
 * so `share` is the fraction of analysed entries whose top emotion is the label and the shares add up to
 * one. Labels are compared lower-cased; `mentions` and `avgScore` describe every appearance of a label.
 */
export function emotionsSql(userId: string, range: { from: Date; to: Date }): SQL {
  return sql`
    with labelled as (
      select a.entry_id, lower(btrim(x.item ->> 'label')) as label, max((x.item ->> 'score')::float8) as score
      from entries e
      join entry_analyses a on ${analysedBy(userId)}
      cross join lateral jsonb_array_elements(
        case when jsonb_typeof(a.emotions) = 'array' then a.emotions else '[]'::jsonb end
      ) as x(item)
      where ${liveEntriesIn(userId, range)}
        and jsonb_typeof(x.item -> 'label') = 'string'
        and jsonb_typeof(x.item -> 'score') = 'number'
        and btrim(x.item ->> 'label') <> ''
      group by 1, 2
    ),
    top as (
      select distinct on (entry_id) entry_id, label from labelled order by entry_id, score desc, label
    )
    select l.label,
           count(*)::int as mentions,
           avg(l.score)::float8 as "avgScore",
           (select count(*) from top t where t.label = l.label)::int as count,
           (select count(*) from top)::int as analyzed
    from labelled l
    group by l.label`;
}

interface EmotionRow extends Record<string, unknown> {
  label: string;
  mentions: number;
  avgScore: number;
  count: number;
  analyzed: number;
}

export async function emotionDistribution(
  db: Database,
  userId: string,
  range: { from: Date; to: Date },
): Promise<{ analyzedEntries: number; items: EmotionShare[] }> {
  const rows = await db.execute<EmotionRow>(emotionsSql(userId, range));
  const analyzedEntries = rows[0]?.analyzed ?? 0;
  const items = rows
    .map((row) => ({
      label: row.label,
      share: analyzedEntries > 0 ? round4(row.count / analyzedEntries) : 0,
      count: row.count,
      mentions: row.mentions,
      avgScore: round4(row.avgScore),
    }))
    .sort((a, b) => b.count - a.count || b.mentions - a.mentions || a.label.localeCompare(b.label));
  return { analyzedEntries, items };
}

export async function emotionInsights(
  db: Database,
  userId: string,
  timezone: string,
  range: InsightRange,
): Promise<EmotionInsights> {
  const distribution = await emotionDistribution(db, userId, range);
  return { from: range.from.toISOString(), to: range.to.toISOString(), timezone, ...distribution };
}

/**
 * Whole-history writing habits. A streak is a run of consecutive local calendar dates with at least
 * one entry (date arithmetic, so DST never breaks or stretches one); the current streak is the run
 * that reaches today, or yesterday while today has no entry yet, counted up to today at most.
 */
export function writingSql(userId: string, timezone: string, now: Date): SQL {
  return sql`
    with live as materialized (
      select e.occurred_at, e.occurred_at at time zone ${timezone}::text as local_at, e.word_count
      from entries e
      where ${liveEntriesIn(userId, null)}
    ),
    days as (select distinct local_at::date as d from live),
    streaks as (
      select min(d) as first_day, max(d) as last_day, count(*)::int as len
      from (select d, d - (row_number() over (order by d))::int as grp from days) islands
      group by grp
    ),
    today as (select (${ts(now)} at time zone ${timezone}::text)::date as t)
    select
      (select count(*)::int from live) as "totalEntries",
      (select coalesce(sum(word_count), 0)::float8 from live) as "totalWords",
      (select count(*)::int from days) as "activeDays",
      (select coalesce(max(len), 0)::int from streaks) as "longestStreakDays",
      (select json_build_object('start', to_char(first_day, 'YYYY-MM-DD'), 'end', to_char(last_day, 'YYYY-MM-DD'))
         from streaks order by len desc, last_day desc limit 1) as "longestStreak",
      (select coalesce(max(least(last_day, t) - first_day + 1), 0)::int
         from streaks, today where last_day >= t - 1 and first_day <= t) as "currentStreakDays",
      (select ${isoUtc(sql`min(occurred_at)`)} from live) as "firstEntryAt",
      (select ${isoUtc(sql`max(occurred_at)`)} from live) as "lastEntryAt",
      (select coalesce(json_agg(json_build_array(wd, n, w)), '[]'::json) from (
         select extract(isodow from local_at)::int as wd, count(*)::int as n, sum(word_count)::float8 as w
         from live group by 1) x) as "byWeekday",
      (select coalesce(json_agg(json_build_array(h, n, w)), '[]'::json) from (
         select extract(hour from local_at)::int as h, count(*)::int as n, sum(word_count)::float8 as w
         from live group by 1) x) as "byHour"`;
}

interface WritingRow extends Record<string, unknown> {
  totalEntries: number;
  totalWords: number;
  activeDays: number;
  longestStreakDays: number;
  longestStreak: { start: string; end: string } | null;
  currentStreakDays: number;
  firstEntryAt: string | null;
  lastEntryAt: string | null;
  byWeekday: [number, number, number][];
  byHour: [number, number, number][];
}

export async function writingInsights(
  db: Database,
  userId: string,
  timezone: string,
  now: Date,
): Promise<WritingInsights> {
  const [row] = await db.execute<WritingRow>(writingSql(userId, timezone, now));
  if (!row) throw new Error("writing insights returned no row");
  const weekdays = new Map(row.byWeekday.map(([wd, n, w]) => [wd, { n, w }]));
  const hours = new Map(row.byHour.map(([h, n, w]) => [h, { n, w }]));
  return {
    timezone,
    totalEntries: row.totalEntries,
    totalWords: row.totalWords,
    activeDays: row.activeDays,
    currentStreakDays: row.currentStreakDays,
    longestStreakDays: row.longestStreakDays,
    longestStreak: row.longestStreak,
    firstEntryAt: row.firstEntryAt,
    lastEntryAt: row.lastEntryAt,
    byWeekday: weekdayNames.map((name, i) => ({
      weekday: i + 1,
      name,
      count: weekdays.get(i + 1)?.n ?? 0,
      words: weekdays.get(i + 1)?.w ?? 0,
    })),
    byHour: Array.from({ length: 24 }, (_, hour) => ({
      hour,
      count: hours.get(hour)?.n ?? 0,
      words: hours.get(hour)?.w ?? 0,
    })),
  };
}

export function topicCountsSql(
  userId: string,
  timezone: string,
  bucket: InsightBucket,
  range: InsightRange,
  limit: number,
): SQL {
  const b = bucketLiteral(bucket);
  return sql`
    with counts as (
      select et.topic_id, to_char(date_trunc(${b}, e.occurred_at at time zone ${timezone}::text), 'YYYY-MM-DD') as local_date,
             count(*)::int as n
      from entries e
      join entry_topics et on ${topicLinksBy(userId)}
      where ${liveEntriesIn(userId, range)}
      group by 1, 2
    ),
    ranked as (
      select t.id, t.name, t.kind, t.color, sum(c.n)::int as total
      from counts c
      join topics t on t.id = c.topic_id and t.user_id = ${userId}::uuid
      group by t.id
      order by total desc, lower(t.name), t.id
      limit ${limit}
    )
    select r.id, r.name, r.kind, r.color, r.total,
           json_agg(json_build_array(c.local_date, c.n)) as counts
    from ranked r
    join counts c on c.topic_id = r.id
    group by r.id, r.name, r.kind, r.color, r.total
    order by r.total desc, lower(r.name), r.id`;
}

interface TopicRow extends Record<string, unknown> {
  id: string;
  name: string;
  kind: "user" | "discovered";
  color: string | null;
  total: number;
  counts: [string, number][];
}

/** Entries per topic and local bucket, for the most-written-about topics of the range. */
export async function topicInsights(
  db: Database,
  userId: string,
  timezone: string,
  bucket: InsightBucket,
  range: InsightRange,
  limit: number,
): Promise<TopicInsights> {
  const [buckets, rows] = await Promise.all([
    bucketSeries(db, timezone, bucket, range),
    db.execute<TopicRow>(topicCountsSql(userId, timezone, bucket, range, limit)),
  ]);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    timezone,
    bucket,
    buckets,
    items: rows.map((row) => {
      const counts = new Map(row.counts);
      return {
        id: row.id,
        name: row.name,
        kind: row.kind,
        color: row.color,
        total: row.total,
        counts: buckets.map((start) => counts.get(start.localDate) ?? 0),
      };
    }),
  };
}
