import {
  type MoodByTime,
  type MoodFigures,
  type MoodStability,
  type MoodTopics,
  type Variability,
  weekdayNames,
} from "@inkwell/shared";
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import {
  analysedBy,
  bucketLiteral,
  bucketSeries,
  checkinsIn,
  liveEntriesIn,
  topicLinksBy,
} from "./insights.ts";
import { type InsightRange, round4, round4OrNull } from "./insights-range.ts";

/*
 * Mood patterns: when, about what, and how steadily a writer feels what they feel. "Mood" is measured
 * as the mood series measures it — the entries' own 1..10 mood and the writer's mood check-ins, each
 * one rating, and the mean sentiment of finished analyses — over live entries and check-ins in
 * `[from, to)`, with local times in the writer's zone. Mood per topic reads entries only: a check-in
 * has no topic, and the baseline it is compared with must be made of the same kind of rows.
 */

/**
 * The aggregate columns every mood figure is made of; `scoped` rows carry `mood`, `sentiment_score`
 * and `is_entry` (false for a mood check-in, which adds a rating and no entry).
 */
const moodAggregates = sql`
  (count(*) filter (where is_entry))::int as "entryCount",

  count(mood)::int as "moodCount",
  avg(mood)::float8 as "avgMood",
  count(sentiment_score)::int as "analyzedCount",
  avg(sentiment_score)::float8 as "avgSentiment"`;

interface MoodFigureRow extends Record<string, unknown> {
  entryCount: number;
  moodCount: number;
  avgMood: number | null;
  analyzedCount: number;
  avgSentiment: number | null;
}

function figures(row: MoodFigureRow | undefined): MoodFigures {
  return {
    entryCount: row?.entryCount ?? 0,
    moodCount: row?.moodCount ?? 0,
    avgMood: round4OrNull(row?.avgMood),
    analyzedCount: row?.analyzedCount ?? 0,
    avgSentiment: round4OrNull(row?.avgSentiment),
  };
}

/**
 * The writer's live entries of the range with their mood, sentiment and local wall-clock time, and
 * their mood check-ins as rows with a mood and no sentiment (`is_entry` false).
 */
function scopedMood(userId: string, timezone: string, range: InsightRange): SQL {
  return sql`
    select e.id, e.occurred_at at time zone ${timezone}::text as local_at, e.mood,
           a.sentiment_score::float8 as sentiment_score, true as is_entry
    from entries e
    left join entry_analyses a on ${analysedBy(userId)}
    where ${liveEntriesIn(userId, range)}
    union all
    select c.id, c.at at time zone ${timezone}::text, c.mood, null::float8, false
    from mood_checkins c
    where ${checkinsIn(userId, range)}`;
}

export function moodByTimeSql(userId: string, timezone: string, range: InsightRange): SQL {
  return sql`
    with scoped as materialized (${scopedMood(userId, timezone, range)})
    select 'weekday' as kind, extract(isodow from local_at)::int as slot, ${moodAggregates}
    from scoped group by 2
    union all
    select 'hour' as kind, extract(hour from local_at)::int as slot, ${moodAggregates}
    from scoped group by 2`;
}

interface SlotRow extends MoodFigureRow {
  kind: "weekday" | "hour";
  slot: number;
}

/** Mood per local weekday and per local hour of the day; quiet slots are listed with zeros. */
export async function moodByTime(
  db: Database,
  userId: string,
  timezone: string,
  range: InsightRange,
): Promise<MoodByTime> {
  const rows = await db.execute<SlotRow>(moodByTimeSql(userId, timezone, range));
  const weekdays = new Map(rows.filter((r) => r.kind === "weekday").map((r) => [r.slot, r]));
  const hours = new Map(rows.filter((r) => r.kind === "hour").map((r) => [r.slot, r]));
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    timezone,
    byWeekday: weekdayNames.map((name, i) => ({ weekday: i + 1, name, ...figures(weekdays.get(i + 1)) })),
    byHour: Array.from({ length: 24 }, (_, hour) => ({ hour, ...figures(hours.get(hour)) })),
  };
}

export function moodTopicsSql(userId: string, range: InsightRange, limit: number): SQL {
  return sql`
    select t.id, t.name, t.kind, t.color,
           count(*)::int as "entryCount",
           count(e.mood)::int as "moodCount",
           avg(e.mood)::float8 as "avgMood",
           count(a.sentiment_score)::int as "analyzedCount",
           avg(a.sentiment_score)::float8 as "avgSentiment"
    from entries e
    join entry_topics et on ${topicLinksBy(userId)}
    join topics t on t.id = et.topic_id and t.user_id = ${userId}::uuid
    left join entry_analyses a on ${analysedBy(userId)}
    where ${liveEntriesIn(userId, range)}
    group by t.id
    order by "entryCount" desc, lower(t.name), t.id
    limit ${limit}`;
}

export function moodOverallSql(userId: string, range: InsightRange): SQL {
  return sql`
    select count(*)::int as "entryCount",
           count(e.mood)::int as "moodCount",
           avg(e.mood)::float8 as "avgMood",
           count(a.sentiment_score)::int as "analyzedCount",
           avg(a.sentiment_score)::float8 as "avgSentiment"
    from entries e
    left join entry_analyses a on ${analysedBy(userId)}
    where ${liveEntriesIn(userId, range)}`;
}

interface TopicMoodRow extends MoodFigureRow {
  id: string;
  name: string;
  kind: "user" | "discovered";
  color: string | null;
}

const deltaOf = (value: number | null, baseline: number | null) =>
  value === null || baseline === null ? null : round4(value - baseline);

/** Mood per topic for the busiest `limit` topics of the range, against all the range's entries. */
export async function moodByTopic(
  db: Database,
  userId: string,
  timezone: string,
  range: InsightRange,
  limit: number,
): Promise<MoodTopics> {
  const [topicRows, overallRows] = await Promise.all([
    db.execute<TopicMoodRow>(moodTopicsSql(userId, range, limit)),
    db.execute<MoodFigureRow>(moodOverallSql(userId, range)),
  ]);
  const overall = figures(overallRows[0]);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    timezone,
    overall,
    items: topicRows.map((row) => {
      const own = figures(row);
      return {
        id: row.id,
        name: row.name,
        kind: row.kind,
        color: row.color,
        ...own,
        moodDelta: deltaOf(own.avgMood, overall.avgMood),
        sentimentDelta: deltaOf(own.avgSentiment, overall.avgSentiment),
      };
    }),
  };
}

/**
 * Day-to-day variability. Each local day is one point (the mean of its entries), so a day with many
 * entries weighs no more than a day with one. `sd` is the spread of those points; `rmssd` (the root
 * mean square of successive differences, the usual measure of emotional instability in diary studies)
 * looks only at pairs of consecutive calendar days that both have a value, so it tells swings from
 * slow drifts. A window's pairs lie inside it; the overall figures use every pair of the range.
 */
export function moodStabilitySql(
  userId: string,
  timezone: string,
  bucket: "week" | "month",
  range: InsightRange,
): SQL {
  const b = bucketLiteral(bucket);
  const step = (column: string, partition: SQL) => {
    const col = sql.raw(column);
    return sql`case when lag(d) over (${partition} order by d) = d - 1
                    then ${col} - lag(${col}) over (${partition} order by d) end`;
  };
  const inWindow = sql`partition by date_trunc(${b}, d::timestamp)`;
  const none = sql``;
  const variability = (column: string, stepColumn: string) => {
    const col = sql.raw(column);
    const st = sql.raw(stepColumn);
    return sql`json_build_object(
      'days', count(${col}),
      'mean', avg(${col}),
      'sd', stddev_samp(${col}),
      'rmssd', sqrt(avg(${st} * ${st})),
      'pairs', count(${st}),
      'min', min(${col}),
      'max', max(${col}))`;
  };
  return sql`
    with daily as (
      select d, avg(mood)::float8 as mood, avg(sentiment_score)::float8 as sentiment
      from (
        select (e.occurred_at at time zone ${timezone}::text)::date as d, e.mood,
               a.sentiment_score::float8 as sentiment_score
        from entries e
        left join entry_analyses a on ${analysedBy(userId)}
        where ${liveEntriesIn(userId, range)}
        union all
        -- A check-in's mood joins its day's mean like an entry's; it has no sentiment.
        select (c.at at time zone ${timezone}::text)::date, c.mood, null::float8
        from mood_checkins c
        where ${checkinsIn(userId, range)}
      ) as rated
      group by 1
    ),
    steps as (
      select d, date_trunc(${b}, d::timestamp) as local_start, mood, sentiment,
             ${step("mood", inWindow)} as mood_step,
             ${step("sentiment", inWindow)} as sentiment_step,
             ${step("mood", none)} as mood_step_all,
             ${step("sentiment", none)} as sentiment_step_all
      from daily
    )
    select to_char(local_start, 'YYYY-MM-DD') as "localDate",
           ${variability("mood", "mood_step")} as mood,
           ${variability("sentiment", "sentiment_step")} as sentiment
    from steps group by local_start
    union all
    select null as "localDate",
           ${variability("mood", "mood_step_all")} as mood,
           ${variability("sentiment", "sentiment_step_all")} as sentiment
    from steps`;
}

interface RawVariability {
  days: number;
  mean: number | null;
  sd: number | null;
  rmssd: number | null;
  pairs: number;
  min: number | null;
  max: number | null;
}

interface StabilityRow extends Record<string, unknown> {
  localDate: string | null;
  mood: RawVariability;
  sentiment: RawVariability;
}

const EMPTY: Variability = { days: 0, mean: null, sd: null, rmssd: null, pairs: 0, min: null, max: null };

function variability(raw: RawVariability | undefined): Variability {
  if (!raw) return EMPTY;
  return {
    days: raw.days,
    mean: round4OrNull(raw.mean),
    sd: round4OrNull(raw.sd),
    rmssd: round4OrNull(raw.rmssd),
    pairs: raw.pairs,
    min: round4OrNull(raw.min),
    max: round4OrNull(raw.max),
  };
}

/** Mood and sentiment variability over the whole range and per local week or month. */
export async function moodStability(
  db: Database,
  userId: string,
  timezone: string,
  bucket: "week" | "month",
  range: InsightRange,
): Promise<MoodStability> {
  const [buckets, rows] = await Promise.all([
    bucketSeries(db, timezone, bucket, range),
    db.execute<StabilityRow>(moodStabilitySql(userId, timezone, bucket, range)),
  ]);
  const overall = rows.find((row) => row.localDate === null);
  const byDate = new Map(rows.filter((row) => row.localDate !== null).map((row) => [row.localDate, row]));
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    timezone,
    bucket,
    overall: { mood: variability(overall?.mood), sentiment: variability(overall?.sentiment) },
    items: buckets.map((start) => {
      const row = byDate.get(start.localDate);
      return { ...start, mood: variability(row?.mood), sentiment: variability(row?.sentiment) };
    }),
  };
}
