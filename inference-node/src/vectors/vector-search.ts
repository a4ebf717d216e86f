import {
  chunkCollectionName,
  multiVectorScore,
  type VectorSearchRequest,
  type VectorSearchResponse,
  vectorCollectionName,
  writerChunkCollectionName,
  writerVectorCollectionName,
} from "@inkwell/shared";
import type { ChromaClient, Where } from "chromadb";
import { chromaClientFor } from "./chroma-client.ts";
import { isNotFound } from "./collection-names.ts";
import { HandleCache } from "./handle-cache.ts";

export interface VectorSearch {
  readonly enabled: boolean;
  search(request: VectorSearchRequest): Promise<VectorSearchResponse>;
}

type Collection = Awaited<ReturnType<ChromaClient["getCollection"]>>;

/**
 * Sentence windows asked for per entry wanted: an entry's best window is what counts, and a long entry
 * may have several near the query, so the nearest windows of the few best entries would otherwise fill
 * the list and leave out a window that lifts another entry into the results.
 */
const CHUNK_HITS_PER_ENTRY = 4;

/** The clauses as one filter; none when there are none, so Chroma runs its plain nearest-neighbour search. */
const both = (clauses: Where[]): Where | undefined =>
  clauses.length === 0 ? undefined : clauses.length === 1 ? (clauses[0] as Where) : { $and: clauses };

/** Nearest records to the query under the filter, as (entry, cosine similarity), nearest first. */
async function nearest(
  collection: Collection,
  embedding: number[],
  nResults: number,
  where: Where | undefined,
): Promise<{ entryId: string; score: number }[]> {
  const result = await collection.query({
    queryEmbeddings: [embedding],
    nResults,
    ...(where ? { where } : {}),
    include: ["distances", "metadatas"],
  });
  const ids = result.ids[0] ?? [];
  const distances = result.distances?.[0] ?? [];
  const metadatas = result.metadatas?.[0] ?? [];
  return ids.map((id, i) => {
    const entryId = metadatas[i]?.entryId;
    // Cosine space: distance = 1 - cosine similarity.
    return { entryId: typeof entryId === "string" ? entryId : id, score: 1 - (distances[i] ?? 1) };
  });
}

/**
 * Where one writer's vectors of one model lie: their own collections, and while the migration has not
 * emptied it, the model's shared per-model collection, read only through a filter on the writer.
 */
interface Source {
  entries: Collection;
  chunks: Collection | undefined;
  /** What confines the source to the writer: nothing for their own collections. */
  owner: Where[];
}

type Hit = { entryId: string; score: number };

/** How long a missing per-model collection is taken as missing: an older node may still create one. */
const LEGACY_RECHECK_MS = 60_000;

export interface VectorSearchOptions {
  /** Collection handles kept (least recently used dropped first). */
  handleCacheSize?: number;
}

/**
 * Nearest-neighbour queries over the entry collections the pipeline maintains. A search opens only its
 * writer's own collections, so another person's vectors never even reach this process and the cost
 * follows the writer's journal, not everyone's; the per-model collections of older nodes are read too,
 * filtered to the writer, until the migration has moved them.
 *
 * An entry scores as the search evaluation's `chunkedRanking` scores it: `multiVectorScore` of its whole
 * vector's similarity and its best sentence window's (the whole alone for an entry without windows), and
 * the answer lists entries, each once, never windows. Candidates are the nearest whole vectors and the
 * entries of the nearest windows; each candidate's missing half is then looked up for that entry alone,
 * so every returned score is exact. An entry in neither list scores at most the last whole vector's
 * similarity, or the mean of that and the last window's when it has windows: it could only displace the
 * tail of the list, where an exhaustive ranking such as the evaluation's might differ.
 */
export function createVectorSearch(
  chromaUrl: string | undefined,
  chromaToken?: string,
  options: VectorSearchOptions = {},
): VectorSearch & { readonly cachedHandles: number } {
  if (!chromaUrl) {
    return {
      enabled: false,
      cachedHandles: 0,
      search: async (request) => ({ model: request.model, items: [] }),
    };
  }
  const client = chromaClientFor(chromaUrl, chromaToken);
  const handles = new HandleCache<Promise<Collection | undefined>>(options.handleCacheSize);
  /** When each per-model collection was last found missing. */
  const legacyMissing = new Map<string, number>();

  /** The collection, or undefined when it does not exist; found handles are kept, misses are not. */
  const open = async (name: string): Promise<Collection | undefined> => {
    let pending = handles.get(name);
    if (!pending) {
      const lookup = client.getCollection({ name }).catch((error: unknown) => {
        // None yet: nothing of this model has been indexed for the writer, so nothing is near. A Chroma
        // that fails to answer fails the search rather than quietly ranking differently.
        if (isNotFound(error)) return undefined;
        throw error;
      });
      pending = lookup;
      handles.set(name, lookup);
      lookup.then(
        (found) => {
          if (!found) handles.delete(name, lookup);
        },
        () => handles.delete(name, lookup),
      );
    }
    return await pending;
  };

  const openLegacy = async (name: string): Promise<Collection | undefined> => {
    const missingAt = legacyMissing.get(name);
    if (missingAt !== undefined && Date.now() - missingAt < LEGACY_RECHECK_MS) return undefined;
    const found = await open(name);
    if (found) legacyMissing.delete(name);
    else legacyMissing.set(name, Date.now());
    return found;
  };

  const sourcesOf = async (model: string, userId: string): Promise<Source[]> => {
    const [entries, chunks, legacyEntries, legacyChunks] = await Promise.all([
      open(writerVectorCollectionName(model, userId)),
      open(writerChunkCollectionName(model, userId)),
      openLegacy(vectorCollectionName(model)),
      openLegacy(chunkCollectionName(model)),
    ]);
    const sources: Source[] = [];
    if (entries) sources.push({ entries, chunks, owner: [] });
    if (legacyEntries) sources.push({ entries: legacyEntries, chunks: legacyChunks, owner: [{ userId }] });
    return sources;
  };

  /** A query of a collection dropped meanwhile (an account deletion, the migration) finds nothing. */
  const orNothing = async <T>(collection: Collection, fallback: T, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (!isNotFound(error)) throw error;
      handles.delete(collection.name);
      return fallback;
    }
  };

  return {
    enabled: true,
    get cachedHandles() {
      return handles.size;
    },
    async search(request) {
      const sources = await sourcesOf(request.model, request.userId);
      if (sources.length === 0) return { model: request.model, items: [] };
      const filters: Where[] = [];
      if (request.fromMs !== undefined) filters.push({ occurredAtMs: { $gte: request.fromMs } });
      if (request.toMs !== undefined) filters.push({ occurredAtMs: { $lt: request.toMs } });
      if (request.excludeEntryIds?.length) filters.push({ entryId: { $nin: request.excludeEntryIds } });
      const where = (source: Source) => both([...source.owner, ...filters]);
      const onlyEntries = (source: Source, entryIds: string[]) =>
        both([...source.owner, ...filters, { entryId: { $in: entryIds } }]);

      /** Whole-vector hits of every source; the writer's own collection, listed first, wins a tie of one entry. */
      const whole = new Map<string, number>();
      const keepWhole = (hits: Hit[][]) => {
        for (const list of hits)
          for (const hit of list) if (!whole.has(hit.entryId)) whole.set(hit.entryId, hit.score);
      };
      const bestChunk = new Map<string, number>();
      const keepBest = (hits: Hit[]) => {
        for (const hit of hits) {
          bestChunk.set(hit.entryId, Math.max(hit.score, bestChunk.get(hit.entryId) ?? -Infinity));
        }
      };

      const [wholeHits, chunkHits] = await Promise.all([
        Promise.all(
          sources.map((source) =>
            orNothing(source.entries, [], () =>
              nearest(source.entries, request.embedding, request.limit, where(source)),
            ),
          ),
        ),
        Promise.all(
          sources.map((source) =>
            source.chunks
              ? orNothing(source.chunks, [], () =>
                  nearest(
                    source.chunks as Collection,
                    request.embedding,
                    request.limit * CHUNK_HITS_PER_ENTRY,
                    where(source),
                  ),
                )
              : [],
          ),
        ),
      ]);
      // Nearest first across sources, so the whole list holds the best `limit` of them all.
      keepWhole([
        wholeHits
          .flat()
          .sort((a, b) => b.score - a.score)
          .slice(0, request.limit),
      ]);
      for (const hits of chunkHits) keepBest(hits);

      const wholeMissing = [...bestChunk.keys()].filter((entryId) => !whole.has(entryId));
      const chunkMissing = [...whole.keys()].filter((entryId) => !bestChunk.has(entryId));
      await Promise.all([
        (async () => {
          if (wholeMissing.length === 0) return;
          keepWhole(
            await Promise.all(
              sources.map((source) =>
                orNothing(source.entries, [], () =>
                  nearest(
                    source.entries,
                    request.embedding,
                    wholeMissing.length,
                    onlyEntries(source, wholeMissing),
                  ),
                ),
              ),
            ),
          );
        })(),
        (async () => {
          if (chunkMissing.length === 0) return;
          // Their windows all lie beyond the ones fetched (or they have none): rank just theirs, all of them.
          for (const source of sources) {
            const chunks = source.chunks;
            if (!chunks) continue;
            const filter = onlyEntries(source, chunkMissing);
            const hits = await orNothing(chunks, [], async () => {
              const { ids } = await chunks.get({ ...(filter ? { where: filter } : {}), include: [] });
              return ids.length > 0 ? await nearest(chunks, request.embedding, ids.length, filter) : [];
            });
            keepBest(hits);
          }
        })(),
      ]);

      const items = [...whole].map(([entryId, score]) => {
        const best = bestChunk.get(entryId);
        return { entryId, score: multiVectorScore(score, best === undefined ? [] : [best]) };
      });
      items.sort((a, b) => b.score - a.score || a.entryId.localeCompare(b.entryId));
      // A window whose entry has no vector (an index being rebuilt) is left out: `whole` lists entries only.
      return { model: request.model, items: items.slice(0, request.limit) };
    },
  };
}
