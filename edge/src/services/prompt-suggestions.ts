import { CRISIS_RESOURCES, type DistortionLabel, type SuggestedPrompt } from "@inkwell/shared";
import { sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { greetingGrounds } from "./chat-greeting.ts";
import { patternName, recentThinkingPatterns } from "./chat-patterns.ts";
import { analysedBy, checkinsIn, isoUtc, liveEntriesIn } from "./insights.ts";

/**
 * Writing prompts suggested from a writer's own journal: a mood that moved, a thinking pattern that keeps
 * coming back, a topic gone quiet. Each says in plain words what it comes from. Composed here from
 * templates (no model), reading only the one writer's rows. After entries read at high or critical risk
 * the only suggestion is a quiet check-in with crisis resources: no one is asked to examine their thinking
 * in a crisis.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** The mood trend compares the last two weeks with the four before them. */
const RECENT_DAYS = 14;
const EARLIER_DAYS = 28;
/**
 * Each window needs this many mood ratings (entries' own moods and mood check-ins), or analysed entries,
 * before an average means anything.
 */
const TREND_MIN_ENTRIES = 3;
/** A change this large on the 1..10 mood scale, or on the -1..1 sentiment score, is worth a mention. */
const MOOD_CHANGE = 1.5;
const SENTIMENT_CHANGE = 0.35;
/** A thinking pattern counts when this many recent entries showed it, the latest within the window. */
const PATTERN_MIN_ENTRIES = 2;
const PATTERN_WINDOW_DAYS = 30;
const PATTERNS_SUGGESTED = 2;
/** A topic has gone quiet when it has this many entries, none in this many days, while others were written. */
const TOPIC_MIN_ENTRIES = 3;
const TOPIC_QUIET_DAYS = 21;
const TOPICS_SUGGESTED = 2;

/** One question per thinking pattern, asked from the side the pattern leaves out. */
const PATTERN_PROMPTS: Record<DistortionLabel, { title: string; body: string; promptId: string | null }> = {
  all_or_nothing: {
    title: "Somewhere in between",
    body: "Think of something you recently saw as all good or all bad. What would a version in between look like?",
    promptId: null,
  },
  catastrophising: {
    title: "The likely outcome",
    body: "Pick one thing you have been worrying about. What is the worst case, the best case and the most likely one, and how would you cope with the likely one?",
    promptId: "worry-dump",
  },
  mind_reading: {
    title: "What do you know?",
    body: "Think of a recent time you felt sure what someone else was thinking. What did they actually say or do, and what else might they have been thinking?",
    promptId: null,
  },
  fortune_telling: {
    title: "Predictions",
    body: "Is there something you expect to go badly? What has happened the other times you were in a similar spot?",
    promptId: "worry-dump",
  },
  overgeneralisation: {
    title: "This time",
    body: "Think of something that went wrong recently. What was particular to this time, and when has it gone differently?",
    promptId: null,
  },
  labelling: {
    title: "More than one word",
    body: "If you have summed yourself up in one word lately, what are three other things that are also true of you?",
    promptId: "self-compassion",
  },
  personalisation: {
    title: "Your share",
    body: "Think of something you have blamed yourself for. What else played a part, and which part was really yours to control?",
    promptId: null,
  },
  should_statements: {
    title: "Shoulds and wants",
    body: "Write down one 'should' you have been carrying. Whose rule is it, and how does it read as 'I would like to'?",
    promptId: "values-check",
  },
  emotional_reasoning: {
    title: "Feelings and facts",
    body: "Think of a strong feeling you had recently. What did it tell you, and what do the facts say beside it?",
    promptId: null,
  },
  mental_filter: {
    title: "The whole picture",
    body: "Think of a recent day you remember for one bad moment. What else happened that day?",
    promptId: null,
  },
};

/** A date as the writer reads it, in their time zone: "4 March 2026". */
function dayOf(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: timezone,
  }).format(new Date(iso));
}

const oneDecimal = (value: number) => Math.round(value * 10) / 10;

interface TrendRow extends Record<string, unknown> {
  recentMoods: number;
  recentMood: number | null;
  earlierMoods: number;
  earlierMood: number | null;
  recentAnalysed: number;
  recentSentiment: number | null;
  earlierAnalysed: number;
  earlierSentiment: number | null;
  checkins: number;
}

/**
 * The writer's own mood ratings of the last two weeks against the four before; sentiment when too few.
 * A mood check-in is one rating, as in the mood insights; it has no sentiment.
 */
async function moodTrend(db: Database, userId: string, now: Date): Promise<SuggestedPrompt | null> {
  const recentStart = new Date(now.getTime() - RECENT_DAYS * DAY_MS);
  const earlierStart = new Date(recentStart.getTime() - EARLIER_DAYS * DAY_MS);
  const window = { from: earlierStart, to: now };
  const recent = sql`at >= ${recentStart.toISOString()}::timestamptz`;
  const [row] = await db.execute<TrendRow>(sql`
    with rated as (
      select e.occurred_at as at, e.mood, a.sentiment_score::float8 as sentiment, false as checkin
      from entries e
      left join entry_analyses a on ${analysedBy(userId)}
      where ${liveEntriesIn(userId, window)}
      union all
      select c.at, c.mood, null::float8, true
      from mood_checkins c
      where ${checkinsIn(userId, window)}
    )
    select count(mood) filter (where ${recent})::int as "recentMoods",
           (avg(mood) filter (where ${recent}))::float8 as "recentMood",
           count(mood) filter (where not ${recent})::int as "earlierMoods",
           (avg(mood) filter (where not ${recent}))::float8 as "earlierMood",
           count(sentiment) filter (where ${recent})::int as "recentAnalysed",
           (avg(sentiment) filter (where ${recent}))::float8 as "recentSentiment",
           count(sentiment) filter (where not ${recent})::int as "earlierAnalysed",
           (avg(sentiment) filter (where not ${recent}))::float8 as "earlierSentiment",
           (count(*) filter (where checkin))::int as "checkins"
    from rated`);
  if (!row) return null;

  if (
    row.recentMoods >= TREND_MIN_ENTRIES &&
    row.earlierMoods >= TREND_MIN_ENTRIES &&
    row.recentMood !== null &&
    row.earlierMood !== null
  ) {
    const recentAverage = oneDecimal(row.recentMood);
    const earlierAverage = oneDecimal(row.earlierMood);
    const change = row.recentMood - row.earlierMood;
    if (Math.abs(change) < MOOD_CHANGE) return null;
    const basis = { measure: "mood" as const, recentAverage, earlierAverage };
    const rated = row.checkins > 0 ? "your entries and check-ins" : "your entries";
    return change < 0
      ? {
          ...lower(),
          why: `The moods you gave ${rated} of the last two weeks average ${recentAverage}, against ${earlierAverage} in the four weeks before.`,
          basis,
        }
      : {
          ...higher(),
          why: `The moods you gave ${rated} of the last two weeks average ${recentAverage}, up from ${earlierAverage} in the four weeks before.`,
          basis,
        };
  }
  if (
    row.recentAnalysed >= TREND_MIN_ENTRIES &&
    row.earlierAnalysed >= TREND_MIN_ENTRIES &&
    row.recentSentiment !== null &&
    row.earlierSentiment !== null
  ) {
    const change = row.recentSentiment - row.earlierSentiment;
    if (Math.abs(change) < SENTIMENT_CHANGE) return null;
    const basis = {
      measure: "sentiment" as const,
      recentAverage: Math.round(row.recentSentiment * 100) / 100,
      earlierAverage: Math.round(row.earlierSentiment * 100) / 100,
    };
    return change < 0
      ? {
          ...lower(),
          why: "Going by their analysis, your entries of the last two weeks read heavier than those of the four weeks before.",
          basis,
        }
      : {
          ...higher(),
          why: "Going by their analysis, your entries of the last two weeks read lighter than those of the four weeks before.",
          basis,
        };
  }
  return null;
}

const lower = () => ({
  id: "mood-trend:lower",
  reason: "mood-trend" as const,
  title: "Lately",
  body: "What has been weighing on you lately? And what has helped, even a little?",
  promptId: "feelings-check-in",
});

const higher = () => ({
  id: "mood-trend:higher",
  reason: "mood-trend" as const,
  title: "What has been working",
  body: "Things seem to have lifted lately. What do you think made the difference?",
  promptId: "small-win",
});

/** Thinking patterns that keep coming back in the writer's recent analysed entries. */
async function thinkingPatterns(
  db: Database,
  keys: KeySource,
  userId: string,
  timezone: string,
  now: Date,
): Promise<SuggestedPrompt[]> {
  const since = new Date(now.getTime() - PATTERN_WINDOW_DAYS * DAY_MS).toISOString();
  const { patterns } = await recentThinkingPatterns(db, keys, userId);
  return patterns
    .filter((p) => p.entryCount >= PATTERN_MIN_ENTRIES && p.lastSeen >= since)
    .slice(0, PATTERNS_SUGGESTED)
    .map((p) => {
      const prompt = PATTERN_PROMPTS[p.label];
      return {
        id: `thinking-pattern:${p.label}`,
        reason: "thinking-pattern" as const,
        title: prompt.title,
        body: prompt.body,
        why: `Something that reads like ${patternName(p.label)} thinking showed up in ${p.entryCount} of your recent entries, most recently on ${dayOf(p.lastSeen, timezone)}. This is one way to look at it from another side.`,
        promptId: prompt.promptId,
        basis: { pattern: p.label, entryCount: p.entryCount, lastWrittenAt: p.lastSeen },
      };
    });
}

interface QuietTopicRow extends Record<string, unknown> {
  id: string;
  name: string;
  entryCount: number;
  lastWrittenAt: string;
}

/** Topics the writer wrote about several times and not lately, while they kept writing about other things. */
async function quietTopics(
  db: Database,
  userId: string,
  timezone: string,
  now: Date,
): Promise<SuggestedPrompt[]> {
  const quietSince = new Date(now.getTime() - QUIET_MS).toISOString();
  const rows = await db.execute<QuietTopicRow>(sql`
    select t.id, t.name, count(*)::int as "entryCount", ${isoUtc(sql`max(e.occurred_at)`)} as "lastWrittenAt"
    from topics t
    join entry_topics et on et.topic_id = t.id and et.user_id = ${userId}::uuid
    join entries e on e.id = et.entry_id
    where t.user_id = ${userId}::uuid and ${liveEntriesIn(userId, null)} and e.occurred_at < ${now.toISOString()}::timestamptz
      and exists (
        select 1 from entries w
        where w.user_id = ${userId}::uuid and w.deleted_at is null
          and w.occurred_at >= ${quietSince}::timestamptz and w.occurred_at < ${now.toISOString()}::timestamptz
      )
    group by t.id, t.name
    having count(*) >= ${TOPIC_MIN_ENTRIES} and max(e.occurred_at) < ${quietSince}::timestamptz
    order by count(*) desc, max(e.occurred_at) desc, t.id
    limit ${TOPICS_SUGGESTED}`);
  return rows.map((row) => ({
    id: `topic-gap:${row.id}`,
    reason: "topic-gap" as const,
    title: `Back to “${row.name}”`,
    body: `It has been a while since you wrote about “${row.name}”. How do things stand with it now?`,
    why: `You wrote about “${row.name}” in ${row.entryCount} entries, most recently on ${dayOf(row.lastWrittenAt, timezone)}, and not since.`,
    promptId: null,
    basis: {
      topicId: row.id,
      topicName: row.name,
      entryCount: row.entryCount,
      lastWrittenAt: row.lastWrittenAt,
    },
  }));
}

const QUIET_MS = TOPIC_QUIET_DAYS * DAY_MS;

const CHECK_IN: SuggestedPrompt = {
  id: "check-in",
  reason: "check-in",
  title: "Checking in",
  body: "How are you right now? Write as much or as little as you like.",
  why: "Some of your recent entries sounded very hard. If you are in danger or thinking about harming yourself, please reach out now: the contacts below are there for exactly that.",
  promptId: null,
  basis: {},
  resources: [...CRISIS_RESOURCES],
};

/** The writer's suggestions, best first: a mood that moved, recurring thinking patterns, quiet topics. */
export async function suggestPrompts(
  db: Database,
  keys: KeySource,
  userId: string,
  timezone: string,
  now: Date = new Date(),
): Promise<SuggestedPrompt[]> {
  const { risk } = await greetingGrounds(db, keys, userId);
  if (risk === "high" || risk === "critical") return [CHECK_IN];
  const [trend, patterns, topics] = await Promise.all([
    moodTrend(db, userId, now),
    thinkingPatterns(db, keys, userId, timezone, now),
    quietTopics(db, userId, timezone, now),
  ]);
  return [...(trend ? [trend] : []), ...patterns, ...topics];
}
