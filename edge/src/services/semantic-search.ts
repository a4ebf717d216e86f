import {
  fuseHybrid,
  HYBRID_FUSION,
  InkwellError,
  queryKind,
  vectorSearchResponseSchema,
} from "@inkwell/shared";
import { and, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { blindKey, blindName } from "../crypto/blind-index.ts";
import { decryptField, encryptField, type KeySource } from "../crypto/field-cipher.ts";
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
 * that someone searched for exactly this, and one prefix holds them all for account deletion. The name is
 * keyed with the user's own key (HMAC), so a Redis dump cannot be checked against guessed queries, as an
 * unkeyed hash of a short query could.
 */
export async function queryEmbeddingKey(keys: KeySource, userId: string, q: string): Promise<string> {
  return userKey(userId, "qemb", await blindName(await blindKey(keys, userId, "query-cache"), q));
}

const cachedEmbeddingSchema = z.object({ model: z.string().min(1), embedding: z.array(z.number()) });
type CachedEmbedding = z.infer<typeof cachedEmbeddingSchema>;

/** A cached vector is bound to its own Redis key: moved under another key or user, it does not open. */
const qembField = (userId: string, redisKey: string) => ({
  userId,
  table: "redis:qemb",
  rowId: redisKey,
  column: "embedding",
});

/**
 * The user's cached vector for a query, or undefined: Redis away, nothing cached, or a value that does
 * not open (sealed before a key change, under another key or user, or not by us).
 */
export async function readCachedQueryEmbedding(
  services: Pick<Services, "redis" | "dataKeys">,
  userId: string,
  q: string,
): Promise<CachedEmbedding | undefined> {
  try {
    const key = await queryEmbeddingKey(services.dataKeys, userId, q);
    const cached = await withTimeout(services.redis.get<unknown>(key), 1_000, "Redis");
    if (typeof cached !== "string") return undefined;
    const opened = await decryptField(services.dataKeys, qembField(userId, key), cached);
    const parsed = cachedEmbeddingSchema.safeParse(JSON.parse(opened));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The query's vector, cached by user and keyed name: the same question twice costs one embedding. */
async function queryEmbedding(
  services: Services,
  userId: string,
  q: string,
  requestId?: string,
): Promise<CachedEmbedding> {
  const cached = await readCachedQueryEmbedding(services, userId, q);
  if (cached) return cached;
  const result = await embedTexts(nodeDeps(services, requestId), [q]);
  const value = { model: result.model, embedding: result.embeddings[0] ?? [] };
  await cacheQueryEmbedding(services, userId, q, value);
  return value;
}

/**
 * Keeps a query's vector for a day, sealed with the user's data key (a vector is derived from the text)
 * and indexed under the user so that it goes with the account.
 */
export async function cacheQueryEmbedding(
  services: Pick<Services, "redis" | "dataKeys">,
  userId: string,
  q: string,
  value: CachedEmbedding,
): Promise<void> {
  try {
    const key = await queryEmbeddingKey(services.dataKeys, userId, q);
    const sealed = await encryptField(services.dataKeys, qembField(userId, key), JSON.stringify(value));
    await setUserKey(services.redis, userId, key, sealed, {
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
