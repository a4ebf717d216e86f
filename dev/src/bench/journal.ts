import { uuidv7 } from "@inkwell/shared";
import postgres from "postgres";
import { registerBenchWriter, startBenchStack, startCachedAndUncachedEdges } from "./bench-stack.ts";
import { measure, type Series } from "./stats.ts";

const ENTRIES = 10_000;

/** Inserts a realistic 10,000-entry journal in a few statements (the API path is measured, not seeding). */
async function seed(databaseUrl: string, userId: string): Promise<string[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const ids = Array.from({ length: ENTRIES }, (_, i) => uuidv7(Date.UTC(2024, 0, 1) + i * 3_600_000));
    for (let start = 0; start < ids.length; start += 1000) {
      const chunk = ids.slice(start, start + 1000);
      await sql`
        insert into entries (id, user_id, title, content, mood, tags, word_count, occurred_at, created_at, updated_at)
        select id::uuid, ${userId}::uuid, 'Day ' || n, 'Woke early, walked the dog, thought about work and the week ahead. Entry ' || n,
               1 + (n % 10), array['daily', 'walk'], 17, ${"2024-01-01T00:00:00Z"}::timestamptz + n * interval '1 hour', now(), now()
        from unnest(${chunk}::text[]) with ordinality as t(id, n)`;
      await sql`
        insert into entry_analyses (entry_id, user_id, status, content_version, sentiment_label, sentiment_score)
        select id::uuid, ${userId}::uuid, 'done', 1, 'positive', 0.4 from unnest(${chunk}::text[]) as t(id)`;
    }
    await sql`analyze entries`;
    return ids;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export interface JournalBenchResult {
  entries: number;
  concurrency: number;
  getEntry: { cached: Series; uncached: Series; p50Speedup: number };
  listEntries: { cached: Series; uncached: Series; p50Speedup: number };
}

/**
 * `GET /v1/entries/{id}` and the first page of `GET /v1/entries` for a user with 10,000 entries, through
 * `wrangler dev`: one Worker with the view cache, one beside it without (VIEW_CACHE=off), same services.
 */
export async function journalBench(log: (m: string) => void): Promise<JournalBenchResult> {
  const bench = await startBenchStack("journal", ["postgres", "redis", "qstash"], log);
  const { stack } = bench;
  const stops: (() => Promise<void>)[] = [stack.stop];
  try {
    const { cached, uncached } = await startCachedAndUncachedEdges(bench, stops);
    const { accessToken, id: userId } = await registerBenchWriter(cached.url);
    log(`seeding ${ENTRIES} entries`);
    const ids = await seed(stack.databaseUrl, userId);
    const headers = { Authorization: `Bearer ${accessToken}` };
    // A working set of 100 entries, as a client paging back and forth would touch.
    const hot = ids.slice(-100);
    const get = (base: string) => async (i: number) => {
      const res = await fetch(`${base}/v1/entries/${hot[i % hot.length]}`, { headers });
      await res.arrayBuffer();
      return res.status === 200;
    };
    const list = (base: string) => async () => {
      const res = await fetch(`${base}/v1/entries?limit=20`, { headers });
      await res.arrayBuffer();
      return res.status === 200;
    };
    const options = { total: 600, concurrency: 8, warmup: 100 };
    log("measuring GET /v1/entries/{id}");
    const getCached = await measure(get(cached.url), options);
    const getUncached = await measure(get(uncached.url), options);
    log("measuring GET /v1/entries");
    const listCached = await measure(list(cached.url), options);
    const listUncached = await measure(list(uncached.url), options);
    const speedup = (a: Series, b: Series) => Math.round((b.p50Ms / a.p50Ms) * 100) / 100;
    return {
      entries: ENTRIES,
      concurrency: options.concurrency,
      getEntry: { cached: getCached, uncached: getUncached, p50Speedup: speedup(getCached, getUncached) },
      listEntries: {
        cached: listCached,
        uncached: listUncached,
        p50Speedup: speedup(listCached, listUncached),
      },
    };
  } finally {
    for (const stop of stops) await stop();
  }
}
