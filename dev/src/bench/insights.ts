import postgres from "postgres";
import { registerBenchWriter, startBenchStack, startCachedAndUncachedEdges } from "./bench-stack.ts";
import { measure, type Series } from "./stats.ts";

const ENTRIES = 10_000;
/** Other writers' rows, so the plans are those of a shared table rather than of one writer's. */
const OTHER_ENTRIES = 20_000;
const START = "2024-01-01T00:00:00Z";

/**
 * One journal of `count` entries, an entry every 3 hours (about 3.4 years for 10,000), with finished
 * analyses (sentiment, two emotions, keywords) and two topics on every entry, in a few statements.
 */
async function seedJournal(sql: postgres.Sql, userId: string, count: number): Promise<void> {
  const topicIds = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  await sql`
    insert into topics (id, user_id, name)
    select id::uuid, ${userId}::uuid, 'Topic ' || n from unnest(${topicIds}::text[]) with ordinality as t(id, n)`;
  await sql`
    insert into entries (id, user_id, title, content, mood, tags, word_count, occurred_at, created_at, updated_at)
    select gen_random_uuid(), ${userId}::uuid, 'Day ' || n, 'Woke early, walked the dog, thought about the week ahead.',
           1 + (n % 10), array['daily'], 50 + n % 300, ${START}::timestamptz + n * interval '3 hours', now(), now()
    from generate_series(1, ${count}) as n`;
  await sql`
    insert into entry_analyses (entry_id, user_id, status, content_version, sentiment_label, sentiment_score, emotions, keywords)
    select id, user_id, 'done', 1, 'neutral', ((word_count % 200) - 100) / 100.0,
           jsonb_build_array(
             jsonb_build_object('label', (array['joy', 'sadness', 'anger', 'fear', 'calm'])[1 + word_count % 5], 'score', 0.7),
             jsonb_build_object('label', 'surprise', 'score', 0.2)),
           array['walk', 'work', 'dog']
    from entries where user_id = ${userId}::uuid`;
  await sql`
    insert into entry_topics (entry_id, topic_id, user_id)
    select e.id, (${topicIds}::uuid[])[1 + k + (e.word_count % 2) * 2], e.user_id
    from entries e cross join generate_series(0, 1) as k where e.user_id = ${userId}::uuid`;
}

async function seed(databaseUrl: string, userId: string, otherId: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await seedJournal(sql, userId, ENTRIES);
    await seedJournal(sql, otherId, OTHER_ENTRIES);
    await sql`analyze entries, entry_analyses, entry_topics, topics`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** What each insights endpoint is asked in the benchmark: long ranges over the seeded history. */
const ENDPOINTS = {
  moodDays: "/v1/insights/mood?from=2024-06-01T00:00:00Z&to=2025-06-01T00:00:00Z&bucket=day",
  moodWeeks: "/v1/insights/mood?from=2024-01-01T00:00:00Z&to=2027-06-01T00:00:00Z&bucket=week",
  emotions: "/v1/insights/emotions?from=2024-06-01T00:00:00Z&to=2025-06-01T00:00:00Z",
  writing: "/v1/insights/writing",
  topics: "/v1/insights/topics?from=2024-06-01T00:00:00Z&to=2025-06-01T00:00:00Z&bucket=week",
  growth: "/v1/insights/growth?period=month&at=2025-03-15T00:00:00Z",
  moodByTime: "/v1/insights/mood/by-time?from=2024-06-01T00:00:00Z&to=2025-06-01T00:00:00Z",
  moodTopics: "/v1/insights/mood/topics?from=2024-06-01T00:00:00Z&to=2025-06-01T00:00:00Z",
  moodStability: "/v1/insights/mood/stability?from=2024-06-01T00:00:00Z&to=2025-06-01T00:00:00Z&bucket=week",
  wordCounts: "/v1/insights/word-counts?from=2024-06-01T00:00:00Z&to=2025-06-01T00:00:00Z",
  streaks: "/v1/insights/streaks",
} as const;

type EndpointName = keyof typeof ENDPOINTS;

export interface InsightsBenchResult {
  entries: number;
  otherEntries: number;
  concurrency: number;
  endpoints: Record<EndpointName, { path: string; cached: Series; uncached: Series; p50Speedup: number }>;
}

/**
 * Every insights endpoint for a writer with 10,000 analysed entries (beside another with 20,000),
 * through `wrangler dev`: one Worker with the view cache, one without (VIEW_CACHE=off), same services.
 */
export async function insightsBench(log: (m: string) => void): Promise<InsightsBenchResult> {
  const bench = await startBenchStack("insights", ["postgres", "redis", "qstash"], log);
  const { stack } = bench;
  const stops: (() => Promise<void>)[] = [stack.stop];
  try {
    const { cached, uncached } = await startCachedAndUncachedEdges(bench, stops);
    const writer = await registerBenchWriter(cached.url, { fields: { timezone: "Europe/Berlin" } });
    const other = await registerBenchWriter(cached.url, { fields: { timezone: "UTC" } });
    log(`seeding ${ENTRIES} entries (+${OTHER_ENTRIES} of another writer) with analyses and topics`);
    await seed(stack.databaseUrl, writer.id, other.id);
    const headers = { Authorization: `Bearer ${writer.accessToken}` };
    const hit = (base: string, pathAndQuery: string) => async () => {
      const res = await fetch(`${base}${pathAndQuery}`, { headers });
      await res.arrayBuffer();
      return res.status === 200;
    };
    // Uncached whole-history answers take tens of milliseconds on a small machine; 200 calls keep a run short.
    const options = { total: 200, concurrency: 8, warmup: 10 };
    const speedup = (a: Series, b: Series) => Math.round((b.p50Ms / a.p50Ms) * 100) / 100;
    const endpoints = {} as InsightsBenchResult["endpoints"];
    for (const [name, pathAndQuery] of Object.entries(ENDPOINTS) as [EndpointName, string][]) {
      log(`measuring ${pathAndQuery}`);
      const cachedSeries = await measure(hit(cached.url, pathAndQuery), options);
      const uncachedSeries = await measure(hit(uncached.url, pathAndQuery), options);
      endpoints[name] = {
        path: pathAndQuery,
        cached: cachedSeries,
        uncached: uncachedSeries,
        p50Speedup: speedup(cachedSeries, uncachedSeries),
      };
    }
    return { entries: ENTRIES, otherEntries: OTHER_ENTRIES, concurrency: options.concurrency, endpoints };
  } finally {
    for (const stop of stops) await stop();
  }
}
