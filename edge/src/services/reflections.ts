import type {
  ReflectionCitation,
  ReflectionPeriod,
  ReflectionStats,
  ReflectionThemes,
} from "@inkwell/shared";
import { and, eq, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import { type ColumnRef, openJson, openText, sealJson, sealText } from "../crypto/sealed-columns.ts";
import type { Database } from "../db/client.ts";
import { jobs, reflections } from "../db/schema/index.ts";
import { openAnalysisKeywords } from "./analysis-fields.ts";
import { analysedBy, emotionDistribution, isoUtc, liveEntriesIn, topicLinksBy } from "./insights.ts";
import { round4OrNull } from "./insights-range.ts";
import { lockJobOwners } from "./job-lock.ts";

/** Everything the structured reflection is made of, as SQL aggregates it; never entry text. */
export interface ReflectionFacts {
  period: ReflectionPeriod;
  periodStart: Date;
  periodEnd: Date;
  /** Days in the period (a month has 28..31, a week 7). */
  days: number;
  asOf: Date;
  entryCount: number;
  totalWords: number;
  daysWritten: number;
  avgMood: number | null;
  avgSentiment: number | null;
  analyzedEntries: number;
  keywords: { label: string; count: number }[];
  emotions: { label: string; count: number }[];
  topics: { id: string; name: string; count: number }[];
  /** Candidate entries worth pointing back to, each with why it stands out. */
  notable: { entryId: string; occurredAt: Date; reason: NotableReason }[];
}

export type NotableReason = "highest-sentiment" | "lowest-sentiment" | "longest";

export interface StructuredReflection {
  text: string;
  stats: ReflectionStats;
  themes: ReflectionThemes;
  citations: ReflectionCitation[];
}

type ReflectionRow = typeof reflections.$inferSelect;
const reflectionRef = (row: { userId: string; id: string }): ColumnRef => ({
  userId: row.userId,
  table: "reflections",
  rowId: row.id,
});

/**
 * A reflection's text and themes as stored: sealed with the writer's key (themes hold keywords and topic
 * names taken from the entries), the plaintext columns empty. `stats` and `citations` are numbers, ids
 * and fixed labels and stay in the clear.
 */
export async function sealReflectionFields(
  keys: KeySource,
  row: { userId: string; id: string },
  fields: { text?: string | undefined; themes?: ReflectionThemes | undefined },
): Promise<Partial<typeof reflections.$inferInsert>> {
  const ref = reflectionRef(row);
  return {
    ...(fields.text !== undefined
      ? { text: null, textCt: await sealText(keys, ref, "text", fields.text) }
      : {}),
    ...(fields.themes !== undefined
      ? { themes: null, themesCt: await sealJson(keys, ref, "themes", fields.themes) }
      : {}),
  };
}

/** The row with its text and themes opened (sealed or, for a row from before encryption, plaintext). */
export async function openReflectionRow(keys: KeySource, row: ReflectionRow): Promise<ReflectionRow> {
  const ref = reflectionRef(row);
  const [text, themes] = await Promise.all([
    openText(keys, ref, "text", row.textCt, row.text),
    openJson<ReflectionThemes, ReflectionThemes | null>(keys, ref, "themes", row.themesCt, row.themes),
  ]);
  return { ...row, text, textCt: null, themes, themesCt: null };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const listOf = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

/**
 * The reflection a writer gets without any language model: figures, themes and a few entries to
 * re-read, in plain sentences. Pure, so what it cites is decided here and tested directly: only
 * entries inside `[periodStart, periodEnd)` can ever be cited, whatever the caller passes in.
 */
export function buildStructuredReflection(facts: ReflectionFacts): StructuredReflection {
  const inside = (at: Date) =>
    at.getTime() >= facts.periodStart.getTime() && at.getTime() < facts.periodEnd.getTime();
  const citations: ReflectionCitation[] = [];
  for (const candidate of facts.notable) {
    if (!inside(candidate.occurredAt)) continue;
    const existing = citations.find((c) => c.entryId === candidate.entryId);
    if (existing) existing.reasons = [...(existing.reasons ?? []), candidate.reason];
    else {
      citations.push({
        entryId: candidate.entryId,
        reasons: [candidate.reason],
        occurredAt: candidate.occurredAt.toISOString(),
      });
    }
  }
  const stats: ReflectionStats = {
    entryCount: facts.entryCount,
    totalWords: facts.totalWords,
    daysWritten: facts.daysWritten,
    days: facts.days,
    avgMood: round4OrNull(facts.avgMood),
    avgSentiment: round4OrNull(facts.avgSentiment),
    analyzedEntries: facts.analyzedEntries,
    asOf: facts.asOf.toISOString(),
  };
  const themes: ReflectionThemes = {
    keywords: facts.keywords.slice(0, 5),
    emotions: facts.emotions.slice(0, 3),
    topics: facts.topics.slice(0, 5),
  };
  const span = facts.period === "week" ? "week" : "month";
  if (facts.entryCount === 0) {
    return { text: `You wrote no entries this ${span}.`, stats, themes, citations: [] };
  }
  const sentences = [
    `This ${span} you wrote ${plural(facts.entryCount, "entry", "entries")} (${plural(facts.totalWords, "word")}) on ${facts.daysWritten} of ${plural(facts.days, "day")}.`,
  ];
  if (stats.avgMood !== null) sentences.push(`Your average mood was ${stats.avgMood.toFixed(1)} out of 10.`);
  if (stats.avgSentiment !== null) {
    const tone =
      stats.avgSentiment > 0.2 ? "mostly positive" : stats.avgSentiment < -0.2 ? "mostly heavy" : "mixed";
    sentences.push(
      `The tone of your writing was ${tone} (average sentiment ${stats.avgSentiment.toFixed(2)}).`,
    );
  }
  if (themes.emotions.length > 0) {
    sentences.push(`The feelings that came up most: ${listOf(themes.emotions.map((e) => e.label))}.`);
  }
  const subjects = [...themes.topics.map((t) => t.name), ...themes.keywords.map((k) => k.label)].slice(0, 5);
  if (subjects.length > 0) sentences.push(`You kept coming back to ${listOf(subjects)}.`);
  if (citations.length > 0) sentences.push("A few entries stand out and may be worth re-reading.");
  return { text: sentences.join(" "), stats, themes, citations };
}

interface StatsRow extends Record<string, unknown> {
  entryCount: number;
  totalWords: number;
  daysWritten: number;
  avgMood: number | null;
  avgSentiment: number | null;
  analyzedEntries: number;
}

interface NotableRow extends Record<string, unknown> {
  entryId: string;
  occurredAt: string;
  reason: NotableReason;
}

/**
 * The period's most frequent keywords: in how many of its analysed entries each (lower-cased) word
 * appears, most first, then alphabetically. Keywords are sealed with the writer's key
 * (analysis-fields.ts), so they are counted here after opening rather than by SQL.
 */
export function topKeywords(
  perEntry: readonly (readonly string[] | null)[],
  limit: number,
): ReflectionFacts["keywords"] {
  const counts = new Map<string, number>();
  for (const words of perEntry) {
    const distinct = new Set((words ?? []).filter((w) => w.trim() !== "").map((w) => w.toLowerCase()));
    for (const word of distinct) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts]
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    .slice(0, limit);
}

/** The period's figures from SQL (bounded by the (user, occurred_at) index); keywords opened at the edge. */
export async function loadReflectionFacts(
  db: Database,
  keys: KeySource,
  userId: string,
  input: { period: ReflectionPeriod; periodStart: Date; periodEnd: Date; timezone: string },
  asOf: Date,
): Promise<ReflectionFacts> {
  const range = { from: input.periodStart, to: input.periodEnd };
  const live = liveEntriesIn(userId, range);
  const tz = sql`${input.timezone}::text`;
  const [[stats], keywordRows, emotions, topics, notable, [span]] = await Promise.all([
    db.execute<StatsRow>(sql`
      select count(*)::int as "entryCount",
             coalesce(sum(e.word_count), 0)::float8 as "totalWords",
             count(distinct (e.occurred_at at time zone ${tz})::date)::int as "daysWritten",
             avg(e.mood)::float8 as "avgMood",
             avg(a.sentiment_score)::float8 as "avgSentiment",
             count(a.sentiment_score)::int as "analyzedEntries"
      from entries e
      left join entry_analyses a on ${analysedBy(userId)}
      where ${live}`),
    db.execute<{ entryId: string; keywords: string[] | null; keywordsCt: string | null }>(sql`
      -- JSON rather than text[]: the driver runs without type fetching (Hyperdrive).
      select e.id as "entryId", to_json(a.keywords) as keywords, a.keywords_ct as "keywordsCt"
      from entries e
      join entry_analyses a on ${analysedBy(userId)}
      where ${live} and (a.keywords is not null or a.keywords_ct is not null)`),
    emotionDistribution(db, userId, range),
    db.execute<{ id: string; name: string; count: number }>(sql`
      select t.id, t.name, count(*)::int as count
      from entries e
      join entry_topics et on ${topicLinksBy(userId)}
      join topics t on t.id = et.topic_id and t.user_id = ${userId}::uuid
      where ${live}
      group by t.id, t.name
      order by 3 desc, lower(t.name)
      limit 5`),
    db.execute<NotableRow>(sql`
      (select e.id as "entryId", ${isoUtc(sql`e.occurred_at`)} as "occurredAt", 'highest-sentiment' as reason
         from entries e join entry_analyses a on ${analysedBy(userId)}
         where ${live} and a.sentiment_score is not null
         order by a.sentiment_score desc, e.occurred_at, e.id limit 1)
      union all
      (select e.id, ${isoUtc(sql`e.occurred_at`)}, 'lowest-sentiment'
         from entries e join entry_analyses a on ${analysedBy(userId)}
         where ${live} and a.sentiment_score is not null
         order by a.sentiment_score asc, e.occurred_at, e.id limit 1)
      union all
      (select e.id, ${isoUtc(sql`e.occurred_at`)}, 'longest'
         from entries e where ${live}
         order by e.word_count desc, e.occurred_at, e.id limit 1)`),
    db.execute<{ days: number }>(sql`
      select ((${input.periodEnd.toISOString()}::timestamptz at time zone ${tz})::date
              - (${input.periodStart.toISOString()}::timestamptz at time zone ${tz})::date)::int as days`),
  ]);
  if (!stats) throw new Error("reflection stats returned no row");
  const keywords = topKeywords(
    await Promise.all(keywordRows.map((row) => openAnalysisKeywords(keys, { ...row, userId }))),
    5,
  );
  // The lowest-sentiment pick is only notable when it differs from the highest (one analysed entry).
  const picks = notable.filter(
    (row) =>
      !(
        row.reason === "lowest-sentiment" &&
        notable.some((o) => o.reason === "highest-sentiment" && o.entryId === row.entryId)
      ),
  );
  return {
    period: input.period,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    days: span?.days ?? 0,
    asOf,
    ...stats,
    keywords,
    emotions: emotions.items.filter((e) => e.count > 0).map((e) => ({ label: e.label, count: e.count })),
    topics: [...topics],
    notable: picks.map((row) => ({
      entryId: row.entryId,
      occurredAt: new Date(row.occurredAt),
      reason: row.reason,
    })),
  };
}

export const REFLECTION_JOB = "reflection";

/**
 * Runs a reflection job at the edge: computes the structured (non-generated) reflection and marks the
 * job done with no node. Used when no node can write reflections, and as the fallback when a node's
 * `write-reflection` job fails for good (`note` then says why the job ended this way). A job that no
 * longer owns its reflection (a newer request replaced it) changes nothing.
 */
export async function runReflectionJobAtEdge(
  db: Database,
  keys: KeySource,
  jobId: string,
  now = new Date(),
  note?: string,
): Promise<void> {
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
    .where(eq(reflections.jobId, jobId))
    .limit(1);
  if (!row) {
    await finishJob(db, jobId, "done", note ?? null);
    return;
  }
  try {
    const facts = await loadReflectionFacts(db, keys, row.userId, row, now);
    const { text, themes, ...built } = buildStructuredReflection(facts);
    const sealed = await sealReflectionFields(keys, row, { text, themes });
    await db.transaction(async (tx) => {
      // Writer, then job, then reflection (writer-locks.ts), as a node's result for this job is applied.
      if (!(await lockJobOwners(tx, jobId))) return;
      await tx
        .update(jobs)
        .set({
          status: "done",
          nodeId: null,
          finishedAt: new Date(),
          updatedAt: new Date(),
          error: note ?? null,
          result: { reflectionId: row.id, generated: false },
        })
        .where(eq(jobs.id, jobId));
      await tx
        .update(reflections)
        .set({
          status: "done",
          generated: false,
          ...built,
          ...sealed,
          model: null,
          error: null,
          updatedAt: new Date(),
        })
        .where(and(eq(reflections.id, row.id), eq(reflections.jobId, jobId)));
    });
  } catch (err) {
    const reason = "The reflection could not be computed; request it again.";
    await db
      .update(reflections)
      .set({ status: "failed", error: reason, updatedAt: new Date() })
      .where(and(eq(reflections.id, row.id), eq(reflections.jobId, jobId)));
    await finishJob(db, jobId, "failed", reason);
    // Only the error's class: its message may carry SQL or values from the period.
    console.error(
      JSON.stringify({
        level: "error",
        msg: "reflection failed",
        jobId,
        error: err instanceof Error ? err.name : "unknown",
      }),
    );
  }
}

async function finishJob(
  db: Database,
  jobId: string,
  status: "done" | "failed",
  error: string | null,
): Promise<void> {
  await db
    .update(jobs)
    .set({ status, error, finishedAt: new Date(), updatedAt: new Date() })
    .where(eq(jobs.id, jobId));
}
