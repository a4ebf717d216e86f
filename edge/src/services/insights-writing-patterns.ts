import { type StreakInsights, type WordCounts, wordCountBinBounds } from "@inkwell/shared";
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { liveEntriesIn } from "./insights.ts";
import { type InsightRange, round4, round4OrNull } from "./insights-range.ts";

/*
 * How long a writer writes and how their days string together, over live entries. Days are local
 * calendar dates in the writer's zone, so runs are date arithmetic and a DST change never breaks one.
 */

export function wordCountsSql(userId: string, range: InsightRange): SQL {
  // width_bucket against the bounds after the first: 0 is the first bin, n the open last one.
  const upper = sql.raw(`array[${wordCountBinBounds.slice(1).join(", ")}]::int[]`);
  return sql`
    with scoped as materialized (
      select e.word_count from entries e where ${liveEntriesIn(userId, range)}
    )
    select
      (select count(*)::int from scoped) as "entryCount",
      (select coalesce(sum(word_count), 0)::float8 from scoped) as "totalWords",
      (select avg(word_count)::float8 from scoped) as mean,
      (select to_json(percentile_cont(array[0.25, 0.5, 0.75, 0.9]) within group (order by word_count))
         from scoped) as percentiles,
      (select min(word_count)::int from scoped) as min,
      (select max(word_count)::int from scoped) as max,
      (select coalesce(json_agg(json_build_array(bin, n)), '[]'::json) from (
         select width_bucket(word_count, ${upper}) as bin, count(*)::int as n from scoped group by 1) x) as bins`;
}

interface WordCountRow extends Record<string, unknown> {
  entryCount: number;
  totalWords: number;
  mean: number | null;
  percentiles: [number, number, number, number] | null;
  min: number | null;
  max: number | null;
  bins: [number, number][];
}

/** The distribution of entries' word counts in the range: summary figures and fixed bins. */
export async function wordCounts(
  db: Database,
  userId: string,
  timezone: string,
  range: InsightRange,
): Promise<WordCounts> {
  const [row] = await db.execute<WordCountRow>(wordCountsSql(userId, range));
  if (!row) throw new Error("word counts returned no row");
  const counts = new Map(row.bins);
  const [p25, median, p75, p90] = row.percentiles ?? [null, null, null, null];
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    timezone,
    entryCount: row.entryCount,
    totalWords: row.totalWords,
    mean: round4OrNull(row.mean),
    p25: round4OrNull(p25),
    median: round4OrNull(median),
    p75: round4OrNull(p75),
    p90: round4OrNull(p90),
    min: row.min,
    max: row.max,
    bins: wordCountBinBounds.map((min, i) => {
      const count = counts.get(i) ?? 0;
      return {
        min,
        max: wordCountBinBounds[i + 1] ?? null,
        count,
        share: row.entryCount > 0 ? round4(count / row.entryCount) : 0,
      };
    }),
  };
}

/**
 * Runs of consecutive dates among `source`'s rows (`d`, `n` entries, and for mood runs `c` check-ins,
 * `mood_sum`, `mood_n`), longest and latest first.
 */
function runsJson(source: string, limit: number, withMood: boolean): SQL {
  const from = sql.raw(source);
  const mood = withMood
    ? sql`, 'checkins', sum(c), 'avgMood', round((sum(mood_sum) / sum(mood_n))::numeric, 4)::float8`
    : sql``;
  return sql`(select coalesce(json_agg(r.run order by r.len desc, r.last_day desc), '[]'::json) from (
      select count(*) as len, max(d) as last_day,
             json_build_object('start', to_char(min(d), 'YYYY-MM-DD'), 'end', to_char(max(d), 'YYYY-MM-DD'),
                               'days', count(*), 'entries', sum(n)${mood}) as run
      from (select *, d - (row_number() over (order by d))::int as grp from ${from}) islands
      group by grp
      order by len desc, last_day desc
      limit ${limit}) r)`;
}

/**
 * Writing runs and gaps read entries only: a check-in is not writing, and a writer who counts the days
 * they wrote would be misled by a streak kept alive with a tap. Mood runs read both: a day's mood is the
 * mean of its entries' own moods and its check-ins, each one rating, as in the mood insights.
 */
export function streaksSql(
  userId: string,
  timezone: string,
  limit: number,
  goodMood: number,
  lowMood: number,
): SQL {
  return sql`
    with days as materialized (
      select (e.occurred_at at time zone ${timezone}::text)::date as d,
             count(*)::int as n,
             sum(e.mood)::float8 as mood_sum,
             count(e.mood)::int as mood_n
      from entries e
      where ${liveEntriesIn(userId, null)}
      group by 1
    ),
    checkin_days as (
      select (c.at at time zone ${timezone}::text)::date as d,
             count(*)::int as c,
             sum(c.mood)::float8 as mood_sum
      from mood_checkins c
      where c.user_id = ${userId}::uuid
      group by 1
    ),
    mood_days as materialized (
      select d,
             coalesce(e.n, 0) as n,
             coalesce(k.c, 0) as c,
             coalesce(e.mood_sum, 0) + coalesce(k.mood_sum, 0) as mood_sum,
             coalesce(e.mood_n, 0) + coalesce(k.c, 0) as mood_n
      from days e full join checkin_days k using (d)
    ),
    good_days as (select * from mood_days where mood_n > 0 and mood_sum / mood_n >= ${goodMood}),
    low_days as (select * from mood_days where mood_n > 0 and mood_sum / mood_n <= ${lowMood}),
    gaps as (
      select prev + 1 as first_day, d - 1 as last_day, d - prev - 1 as len
      from (select d, lag(d) over (order by d) as prev from days) x
      where d - prev > 1
    )
    select
      ${runsJson("days", limit, false)} as "writingBest",
      (select coalesce(json_agg(g.gap order by g.len desc, g.last_day desc), '[]'::json) from (
         select len, last_day,
                json_build_object('start', to_char(first_day, 'YYYY-MM-DD'), 'end', to_char(last_day, 'YYYY-MM-DD'),
                                  'days', len) as gap
         from gaps order by len desc, last_day desc limit ${limit}) g) as "writingGaps",
      ${runsJson("good_days", limit, true)} as "moodBest",
      ${runsJson("low_days", limit, true)} as "moodWorst"`;
}

interface Run {
  start: string;
  end: string;
  days: number;
  entries: number;
}

interface StreakRow extends Record<string, unknown> {
  writingBest: Run[];
  writingGaps: { start: string; end: string; days: number }[];
  moodBest: (Run & { checkins: number; avgMood: number })[];
  moodWorst: (Run & { checkins: number; avgMood: number })[];
}

/** Best and worst runs over the whole history: writing streaks and gaps, good-mood and low-mood streaks. */
export async function streakInsights(
  db: Database,
  userId: string,
  timezone: string,
  options: { limit: number; goodMood: number; lowMood: number },
): Promise<StreakInsights> {
  const [row] = await db.execute<StreakRow>(
    streaksSql(userId, timezone, options.limit, options.goodMood, options.lowMood),
  );
  if (!row) throw new Error("streaks returned no row");
  return {
    timezone,
    goodMood: options.goodMood,
    lowMood: options.lowMood,
    writing: { best: row.writingBest, gaps: row.writingGaps },
    mood: { best: row.moodBest, worst: row.moodWorst },
  };
}
