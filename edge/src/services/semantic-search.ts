import {
  fuseHybrid,
  HYBRID_FUSION,
  InkwellError,
  queryKind,
  sha256Hex,
  vectorSearchResponseSchema,
} from "@inkwell/shared";
import { and, eq, inArray, isNull } from "drizzle-orm";
import { entries, entryEmbeddings } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { callNode, embedTexts } from "../lib/node-client.ts";
import { plainSnippet } from "../lib/snippet.ts";
import { withTimeout } from "../lib/timeout.ts";
import { setUserKey, userKey } from "../lib/user-keys.ts";
import { type KeywordHit, type KeywordMatch, keywordSearch } from "./keyword-search.ts";

export interface SearchOptions {
  q: string;
  limit: number;
  from?: string | undefined;
  to?: string | undefined;
}

export interface SearchOutcome {
  items: { entry: Omit<KeywordHit, "score">; score: number }[];
  degraded: boolean;
}

const QUERY_EMBEDDING_TTL_SECONDS = 24 * 60 * 60;

function nodeDeps(services: Services, requestId?: string) {
  return { db: services.db, config: services.config, ...(requestId ? { requestId } : {}) };
}

/**
 * Where a user's query vector is cached: per user, so another user's cache hit cannot reveal (by timing)
 * that someone searched for exactly this, and one prefix holds them all for account deletion.
 */
export async function queryEmbeddingKey(userId: string, q: string): Promise<string> {
  return userKey(userId, "qemb", await sha256Hex(q));
}

/** The query's vector, cached by user and text hash: the same question twice costs one embedding. */
async function queryEmbedding(
  services: Services,
  userId: string,
  q: string,
  requestId?: string,
): Promise<{ model: string; embedding: number[] }> {
  const key = await queryEmbeddingKey(userId, q);
  try {
    const cached = await withTimeout(
      services.redis.get<{ model: string; embedding: number[] }>(key),
      1_000,
      "Redis",
    );
    if (cached && Array.isArray(cached.embedding)) return cached;
  } catch {
    // Embed afresh.
  }
  const result = await embedTexts(nodeDeps(services, requestId), [q]);
  const value = { model: result.model, embedding: result.embeddings[0] ?? [] };
  await cacheQueryEmbedding(services, userId, q, value);
  return value;
}

/** Keeps a query's vector for a day, indexed under the user so that it goes with the account. */
export async function cacheQueryEmbedding(
  services: Pick<Services, "redis">,
  userId: string,
  q: string,
  value: { model: string; embedding: number[] },
): Promise<void> {
  try {
    await setUserKey(services.redis, userId, await queryEmbeddingKey(userId, q), JSON.stringify(value), {
      ttlSeconds: QUERY_EMBEDDING_TTL_SECONDS,
      timeoutMs: 1_000,
    });
  } catch {
    // Only a cache.
  }
}

async function nearest(
  services: Services,
  userId: string,
  request: {
    model: string;
    embedding: number[];
    limit: number;
    from?: string | undefined;
    to?: string | undefined;
    exclude?: string[];
  },
  requestId?: string,
): Promise<{ entryId: string; score: number }[]> {
  const { data } = await callNode(nodeDeps(services, requestId), {
    path: "/v1/vectors/search",
    body: {
      model: request.model,
      embedding: request.embedding,
      userId,
      limit: request.limit,
      ...(request.from ? { fromMs: Date.parse(request.from) } : {}),
      ...(request.to ? { toMs: Date.parse(request.to) } : {}),
      ...(request.exclude?.length ? { excludeEntryIds: request.exclude } : {}),
    },
    schema: vectorSearchResponseSchema,
    tasks: ["embedding"],
    timeoutMs: 3_000,
  });
  return data.items;
}

/** Live entries of this user among the ids, in the given order: the index may lag a delete. */
async function hydrate(
  services: Services,
  userId: string,
  ranked: { id: string; score: number }[],
): Promise<SearchOutcome["items"]> {
  if (ranked.length === 0) return [];
  const rows = await services.db
    .select({
      id: entries.id,
      title: entries.title,
      content: entries.content,
      occurredAt: entries.occurredAt,
    })
    .from(entries)
    .where(
      and(
        eq(entries.userId, userId),
        isNull(entries.deletedAt),
        inArray(
          entries.id,
          ranked.map((r) => r.id),
        ),
      ),
    );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ranked.flatMap(({ id, score }) => {
    const row = byId.get(id);
    if (!row) return [];
    const snippet = plainSnippet(row.content);
    return [{ entry: { id, title: row.title, snippet, occurredAt: row.occurredAt.toISOString() }, score }];
  });
}

const isNodeTrouble = (err: unknown) =>
  err instanceof InkwellError &&
  (err.code === "NO_INFERENCE_NODE" ||
    err.code === "UPSTREAM_TIMEOUT" ||
    err.code === "UPSTREAM_UNAVAILABLE" ||
    err.code === "SERVICE_UNAVAILABLE");

/**
 * Keyword, semantic or hybrid (reciprocal rank fusion of both) search over one user's journal. When no
 * node can embed the query, meaning-based modes answer with keyword results and say `degraded`.
 */
export async function searchJournal(
  services: Services,
  userId: string,
  mode: "keyword" | "semantic" | "hybrid",
  options: SearchOptions,
  requestId?: string,
): Promise<SearchOutcome> {
  const keyword = async (match: KeywordMatch = "all") =>
    await keywordSearch(services.db, userId, { ...options, limit: Math.max(options.limit, 50), match });
  if (mode === "keyword") {
    const hits = (await keyword()).slice(0, options.limit);
    return { items: hits.map(({ score, ...entry }) => ({ entry, score })), degraded: false };
  }
  let semantic: { entryId: string; score: number }[];
  try {
    const { model, embedding } = await queryEmbedding(services, userId, options.q, requestId);
    semantic = await nearest(
      services,
      userId,
      { model, embedding, limit: Math.max(options.limit, 50), from: options.from, to: options.to },
      requestId,
    );
  } catch (err) {
    if (!isNodeTrouble(err)) throw err;
    const hits = (await keyword()).slice(0, options.limit);
    return { items: hits.map(({ score, ...entry }) => ({ entry, score })), degraded: true };
  }
  if (mode === "semantic") {
    return {
      items: await hydrate(
        services,
        userId,
        semantic.slice(0, options.limit * 2).map((s) => ({ id: s.entryId, score: s.score })),
      ).then((i) => i.slice(0, options.limit)),
      degraded: false,
    };
  }
  // A query written as a sentence is matched on any of its words (its every word is rarely in one entry),
  // and those matches weigh less than semantic ranks (settings per query kind tuned on the search
  // evaluation, shared/src/search.ts).
  const keywordHits = await keyword(HYBRID_FUSION[queryKind(options.q)].keywordMatch);
  const fused = fuseHybrid(
    options.q,
    keywordHits.map((h) => h.id),
    semantic.map((s) => s.entryId),
    options.limit * 2,
  );
  const snippets = new Map(keywordHits.map((h) => [h.id, h.snippet]));
  const items = (await hydrate(services, userId, fused)).map((item) => ({
    ...item,
    // Keep the highlighted snippet when the keyword side found the entry too.
    entry: { ...item.entry, snippet: snippets.get(item.entry.id) ?? item.entry.snippet },
  }));
  return { items: items.slice(0, options.limit), degraded: false };
}

/** Nearest entries to one entry of the same user, excluding itself and deleted ones. */
export async function relatedEntries(
  services: Services,
  userId: string,
  entryId: string,
  limit: number,
  requestId?: string,
): Promise<{ items: SearchOutcome["items"]; degraded: boolean }> {
  const [row] = await services.db
    .select({ model: entryEmbeddings.model, embedding: entryEmbeddings.embedding })
    .from(entryEmbeddings)
    .innerJoin(entries, eq(entries.id, entryEmbeddings.entryId))
    .where(and(eq(entryEmbeddings.entryId, entryId), eq(entries.userId, userId), isNull(entries.deletedAt)))
    .limit(1);
  if (!row) return { items: [], degraded: false };
  try {
    const hits = await nearest(
      services,
      userId,
      { model: row.model, embedding: row.embedding, limit: limit + 5, exclude: [entryId] },
      requestId,
    );
    const items = await hydrate(
      services,
      userId,
      hits.filter((h) => h.entryId !== entryId).map((h) => ({ id: h.entryId, score: h.score })),
    );
    return { items: items.slice(0, limit), degraded: false };
  } catch (err) {
    if (!isNodeTrouble(err)) throw err;
    return { items: [], degraded: true };
  }
}
