import os from "node:os";
import { seededRandom } from "@inkwell/models/seeded-random";
import {
  deriveNodeToken,
  EDGE_SIGNATURE_HEADER,
  embedResponseSchema,
  signEdgeRequest,
  uuidv7,
  vectorSearchResponseSchema,
  writerVectorCollectionName,
} from "@inkwell/shared";
import { ChromaClient, type Collection } from "chromadb";
import postgres from "postgres";
import type { RunningNode } from "../stack.ts";
import { registerBenchWriter, startBenchStack } from "./bench-stack.ts";
import { measure, type Series } from "./stats.ts";

/** Vectors per Chroma `add` call: large batches are what make seeding 200k vectors take minutes, not hours. */
const CHROMA_BATCH = 4000;
/** Rows per Postgres insert. */
const PG_BATCH = 5000;
/** Neighbours asked of the node, as the edge asks for every semantic search (`max(limit, 50)`). */
const NODE_LIMIT = 50;
/** Results a client asks the edge for. */
const SEARCH_LIMIT = 10;
/** One caller at a time: the figures are per-query latencies (what Chroma's own figure is), not a queue. */
const SERIES = {
  node: { total: 200, concurrency: 1, warmup: 20 },
  edge: { total: 100, concurrency: 1, warmup: 0 },
};
/** Unmeasured Worker calls before each measured series. */
const EDGE_WARMUP = 10;

const QUERIES = [
  "feeling burnt out by my job",
  "missing dad",
  "a long run before the race",
  "worried about money and rent",
  "walking the dog in the park",
  "could not sleep again",
  "a good day with friends",
  "arguing with my sister",
  "starting a painting",
  "the trip to the mountains",
];

function normalise(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

/**
 * Journal-like vectors: unit vectors around 64 theme centres (a writer returns to a few themes), in the
 * model's dimension. Uniform random vectors would be the worst case for HNSW, real entries are not.
 */
function vectorSource(dims: number, seed: number) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: 64 }, () => normalise(Array.from({ length: dims }, gauss)));
  return () => {
    const centre = centres[Math.floor(random() * centres.length)] as number[];
    return normalise(centre.map((c) => c + (0.9 * gauss()) / Math.sqrt(dims)));
  };
}

interface Seeder {
  /** Adds `count` vectors of `userId` to Chroma (and, for users measured through the Worker, to Postgres). */
  add(userId: string, count: number, rows: boolean): Promise<void>;
}

function seeder(
  collection: (userId: string) => Promise<Collection>,
  sql: postgres.Sql,
  next: () => number[],
): Seeder {
  let hour = 0;
  return {
    async add(userId, count, rows) {
      const target = await collection(userId);
      for (let start = 0; start < count; start += CHROMA_BATCH) {
        const n = Math.min(CHROMA_BATCH, count - start);
        const ids = Array.from({ length: n }, () => uuidv7());
        const occurred = ids.map(() => new Date(Date.UTC(2020, 0, 1) + hour++ * 3_600_000).toISOString());
        await target.add({
          ids,
          embeddings: ids.map(() => next()),
          metadatas: ids.map((entryId, i) => ({
            userId,
            entryId,
            occurredAtMs: Date.parse(occurred[i] as string),
          })),
        });
        if (!rows) continue;
        for (let p = 0; p < ids.length; p += PG_BATCH) {
          const chunk = ids.slice(p, p + PG_BATCH);
          const dates = occurred.slice(p, p + PG_BATCH);
          await sql`
            insert into entries (id, user_id, content, word_count, occurred_at)
            select id::uuid, ${userId}::uuid, 'Walked by the sea and thought about the week. Entry ' || id, 12, at::timestamptz
            from unnest(${chunk}::text[], ${dates}::text[]) as t(id, at)`;
        }
      }
    },
  };
}

export interface SearchScenario {
  name: string;
  /** Vectors in the collection. */
  vectors: number;
  users: number;
  /** Vectors of the user whose searches are measured. */
  userVectors: number;
  seedSeconds: number;
  /** `POST /v1/vectors/search` on the node (edge-signed), 50 neighbours, from the writer's own collection. */
  node: Series;
  /**
   * The same query straight to the writer's own Chroma collection: without a filter (what the node
   * asks) and with a filter on the writer (what a shared collection needed, for comparison).
   */
  chroma: { filtered: Series; unfiltered: Series };
  /** One-minute load average of the machine when the scenario was measured (it is shared). */
  loadAverage: number;
  /** `GET /v1/search?mode=semantic&limit=10` through the Worker (query embedding cached in Redis). */
  edge: Series;
}

export interface SearchBenchResult {
  model: string;
  dims: number;
  scenarios: SearchScenario[];
  ratios: {
    /** Node p50 at 100k vectors of one user over 1k of one user: what the index's size costs. */
    node100kOver1k: number | null;
    /** Node p50, 100k vectors of 100 users (1k each) over 100k of one user: what a writer's own index saves. */
    node100UsersOver1User: number | null;
    /** Node p50, 100 users of 1k over one user with only 1k: the same user-visible size, a crowded index. */
    node100UsersOver1kAlone: number | null;
    /** Worker p50 over node p50 per scenario: what auth, the query cache, signing and hydration add. */
    edgeOverNode: Record<string, number>;
  };
  /** Chroma's published figure, for comparison: mean query latency at 250k vectors on a 2 GB instance. */
  chromaPublishedMeanMs: number;
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 100) / 100 : null;

/**
 * Semantic search latency, p50/p99: the node's vector search route and `GET /v1/search?mode=semantic`
 * through `wrangler dev`, for one writer with 1k, 10k and 100k vectors, and for 100k vectors spread over
 * 100 writers (each writer's own collection in a crowded store). Vectors go straight into the writers'
 * Chroma collections in large batches and the measured writer's entries straight into Postgres; the API
 * only serves the measured searches.
 * `SEARCH_BENCH_MAX` (default 100000) caps the largest collection, for a quick run.
 */
export async function searchBench(log: (m: string) => void): Promise<SearchBenchResult> {
  const max = Math.max(1000, Number(process.env.SEARCH_BENCH_MAX ?? 100_000) || 100_000);
  const sizes = [1000, 10_000, 100_000].filter((n) => n <= max);
  const { stack, secrets } = await startBenchStack(
    "search",
    ["postgres", "redis", "qstash", "chroma", "edge"],
    log,
  );
  const sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  try {
    const node: RunningNode = await stack.startNode("bench-search", { EMBEDDING_MODEL: "use-lite" });
    const [salt] = await sql<{ salt: string }[]>`select token_salt as salt from nodes where id = ${node.id}`;
    const token = await deriveNodeToken(secrets.NODE_TOKEN_SECRET, node.id, salt?.salt ?? "");
    const callNode = async (route: string, body: unknown): Promise<Response> => {
      const text = JSON.stringify(body);
      return await fetch(`${node.url}${route}`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          [EDGE_SIGNATURE_HEADER]: await signEdgeRequest({
            nodeToken: token,
            method: "POST",
            path: route,
            body: text,
          }),
        },
        body: text,
      });
    };
    const embedded = embedResponseSchema.parse(
      await (await callNode("/v1/embed", { texts: QUERIES })).json(),
    );
    const { model, dims } = embedded;
    log(`node up with ${model} (${dims} dimensions)`);

    const register = async () => {
      const { accessToken, refreshToken, id } = await registerBenchWriter(stack.edgeUrl);
      return { token: accessToken, refreshToken, id };
    };
    /**
     * A new access token before each Worker series: seeding 100k vectors takes longer than an access
     * token lives, and an expired one would measure 401s.
     */
    const refresh = async (user: { token: string; refreshToken: string }) => {
      const res = await fetch(`${stack.edgeUrl}/v1/auth/refresh`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refreshToken: user.refreshToken }),
      });
      if (res.status !== 200) throw new Error(`refresh answered ${res.status}`);
      const body = (await res.json()) as { accessToken: string; refreshToken: string };
      user.token = body.accessToken;
      user.refreshToken = body.refreshToken;
    };
    const writer = await register();
    const crowd = await register();

    const chroma = new URL(stack.chromaUrl);
    const client = new ChromaClient({ host: chroma.hostname, port: Number(chroma.port), ssl: false });
    // Each writer's vectors in their own collection, as the node keeps them.
    const collection = (userId: string) =>
      client.getOrCreateCollection({
        name: writerVectorCollectionName(model, userId),
        embeddingFunction: null,
        metadata: { model, userId, "hnsw:space": "cosine" },
      });
    const seed = seeder(collection, sql, vectorSource(dims, 7));

    // Every signed body must differ (the node refuses a replayed signature), so each search perturbs a
    // real query vector a little: the same work, a new body.
    const jitter = seededRandom(11);
    const queryVector = (i: number) =>
      normalise(
        (embedded.embeddings[i % embedded.embeddings.length] as number[]).map(
          (x) => x + (jitter() - 0.5) * 1e-4,
        ),
      );
    /** The writer's own collection, as the node asks it (no filter), or with a filter on the writer. */
    const chromaSeries = async (userId: string, filtered: boolean) => {
      const target = await collection(userId);
      return await measure(async (i) => {
        const result = await target.query({
          queryEmbeddings: [queryVector(i)],
          nResults: NODE_LIMIT,
          ...(filtered ? { where: { userId } } : {}),
          include: ["distances"],
        });
        return (result.ids[0]?.length ?? 0) > 0;
      }, SERIES.node);
    };
    const nodeSeries = (userId: string) =>
      measure(async (i) => {
        const res = await callNode("/v1/vectors/search", {
          model,
          embedding: queryVector(i),
          userId,
          limit: NODE_LIMIT,
        });
        const body = vectorSearchResponseSchema.safeParse(await res.json());
        return res.status === 200 && body.success && body.data.items.length > 0;
      }, SERIES.node);
    // Distinct texts for the same reason (the edge signs the same body for the same question); their
    // embeddings are cached in Redis by a first pass, as a repeated or popular query's would be.
    const texts = Array.from(
      { length: SERIES.edge.total + EDGE_WARMUP },
      (_, i) => `${QUERIES[i % QUERIES.length]} ${i}`,
    );
    let embeddingsCached = false;
    const edgeSeries = async (user: { token: string; refreshToken: string }) => {
      await refresh(user);
      const search = async (i: number) => {
        const q = encodeURIComponent(texts[i % texts.length] as string);
        const res = await fetch(`${stack.edgeUrl}/v1/search?mode=semantic&limit=${SEARCH_LIMIT}&q=${q}`, {
          headers: { Authorization: `Bearer ${user.token}` },
        });
        const body = (await res.json()) as { degraded?: boolean; items?: unknown[] };
        return res.status === 200 && body.degraded === false && (body.items?.length ?? 0) > 0;
      };
      // Unmeasured: the first time, every text once (embedded and cached, 24 h); later only the Worker's
      // warm-up, on texts the measured calls do not use.
      if (!embeddingsCached) for (let i = 0; i < texts.length; i++) await search(i);
      else for (let i = 0; i < EDGE_WARMUP; i++) await search(SERIES.edge.total + i);
      embeddingsCached = true;
      return await measure(search, SERIES.edge);
    };

    const scenarios: SearchScenario[] = [];
    /** Chroma with and without the writer filter, the node route, then the Worker, for one writer. */
    const measureScenario = async (
      scenario: Pick<SearchScenario, "name" | "vectors" | "users" | "userVectors" | "seedSeconds">,
      user: { id: string; token: string; refreshToken: string },
    ) => {
      const loadAverage = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
      const chroma = {
        filtered: await chromaSeries(user.id, true),
        unfiltered: await chromaSeries(user.id, false),
      };
      const node = await nodeSeries(user.id);
      const edge = await edgeSeries(user);
      scenarios.push({ ...scenario, node, chroma, loadAverage, edge });
      log(
        `  chroma p50 ${chroma.filtered.p50Ms} ms (no filter ${chroma.unfiltered.p50Ms} ms), load ${loadAverage}`,
      );
      log(
        `  node p50 ${node.p50Ms} ms p99 ${node.p99Ms} ms; worker p50 ${edge.p50Ms} ms p99 ${edge.p99Ms} ms`,
      );
    };
    let held = 0;
    for (const size of sizes) {
      const started = performance.now();
      log(`seeding one writer up to ${size.toLocaleString("en")} vectors`);
      await seed.add(writer.id, size - held, true);
      held = size;
      await sql`analyze entries`;
      const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
      log(`measuring at ${size.toLocaleString("en")} vectors of one writer (seeded in ${seedSeconds} s)`);
      await measureScenario(
        { name: `1 user, ${size / 1000}k`, vectors: size, users: 1, userVectors: size, seedSeconds },
        writer,
      );
    }

    // The same total as the largest one-writer collection, spread over 100 writers of equal size.
    const total = sizes.at(-1) ?? 1000;
    const perUser = total / 100;
    if (perUser >= 10) {
      // The same total as the largest single writer: 100 writers of a hundredth each.
      await client.deleteCollection({ name: writerVectorCollectionName(model, writer.id) });
      const started = performance.now();
      log(`seeding ${total.toLocaleString("en")} vectors over 100 writers`);
      await seed.add(crowd.id, perUser, true);
      for (let u = 1; u < 100; u++) await seed.add(uuidv7(), perUser, false);
      const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
      await measureScenario(
        {
          name: `100 users, ${total / 1000}k`,
          vectors: total,
          users: 100,
          userVectors: perUser,
          seedSeconds,
        },
        crowd,
      );
    }

    const p50 = (n: string) => scenarios.find((s) => s.name === n)?.node.p50Ms;
    const largest = `${total / 1000}k`;
    return {
      model,
      dims,
      scenarios,
      ratios: {
        node100kOver1k: ratio(p50("1 user, 100k"), p50("1 user, 1k")),
        node100UsersOver1User: ratio(p50(`100 users, ${largest}`), p50(`1 user, ${largest}`)),
        node100UsersOver1kAlone: ratio(p50(`100 users, ${largest}`), p50(`1 user, ${perUser / 1000}k`)),
        edgeOverNode: Object.fromEntries(
          scenarios.map((s) => [s.name, Math.round((s.edge.p50Ms / s.node.p50Ms) * 100) / 100]),
        ),
      },
      chromaPublishedMeanMs: 22,
    };
  } finally {
    await sql.end({ timeout: 5 });
    await stack.stop();
  }
}
