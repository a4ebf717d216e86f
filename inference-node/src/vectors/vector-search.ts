import {
  chunkCollectionName,
  multiVectorScore,
  type VectorSearchRequest,
  type VectorSearchResponse,
  vectorCollectionName,
} from "@inkwell/shared";
import type { ChromaClient, Where } from "chromadb";
import { chromaClientFor } from "./chroma-client.ts";

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

const both = (clauses: Where[]): Where => (clauses.length === 1 ? (clauses[0] as Where) : { $and: clauses });

/** Nearest records to the query under the filter, as (entry, cosine similarity), nearest first. */
async function nearest(
  collection: Collection,
  embedding: number[],
  nResults: number,
  where: Where,
): Promise<{ entryId: string; score: number }[]> {
  const result = await collection.query({
    queryEmbeddings: [embedding],
    nResults,
    where,
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
 * Nearest-neighbour queries over the entry collections the pipeline maintains. Always filtered to one
 * user inside Chroma, so another person's vectors never even reach this process.
 *
 * An entry scores as the search evaluation's `chunkedRanking` scores it: `multiVectorScore` of its whole
 * vector's similarity and its best sentence window's (the whole alone for an entry without windows), and
 * the answer lists entries, each once, never windows. Candidates are the nearest whole vectors and the
 * entries of the nearest windows; each candidate's missing half is then looked up for that entry alone,
 * so every returned score is exact. An entry in neither list scores at most the last whole vector's
 * similarity, or the mean of that and the last window's when it has windows: it could only displace the
 * tail of the list, where an exhaustive ranking such as the evaluation's might differ.
 */
export function createVectorSearch(chromaUrl: string | undefined, chromaToken?: string): VectorSearch {
  if (!chromaUrl) {
    return {
      enabled: false,
      search: async (request) => ({ model: request.model, items: [] }),
    };
  }
  const client = chromaClientFor(chromaUrl, chromaToken);
  const openEntries = async (model: string): Promise<Collection | undefined> => {
    try {
      return await client.getCollection({ name: vectorCollectionName(model) });
    } catch {
      // No collection yet: nothing of this model has been indexed, so nothing is near.
      return undefined;
    }
  };
  const openChunks = async (model: string): Promise<Collection | undefined> => {
    try {
      return await client.getCollection({ name: chunkCollectionName(model) });
    } catch (error) {
      // None yet (entries indexed before windows were, or only short ones) ranks by whole vectors alone;
      // a Chroma that fails to answer fails the search rather than quietly ranking differently.
      if ((error as Error).name === "ChromaNotFoundError") return undefined;
      throw error;
    }
  };
  return {
    enabled: true,
    async search(request) {
      const [entries, chunks] = await Promise.all([openEntries(request.model), openChunks(request.model)]);
      if (!entries) return { model: request.model, items: [] };
      const clauses: Where[] = [{ userId: request.userId }];
      if (request.fromMs !== undefined) clauses.push({ occurredAtMs: { $gte: request.fromMs } });
      if (request.toMs !== undefined) clauses.push({ occurredAtMs: { $lt: request.toMs } });
      if (request.excludeEntryIds?.length) clauses.push({ entryId: { $nin: request.excludeEntryIds } });
      const where = both(clauses);
      const onlyEntries = (entryIds: string[]) => both([...clauses, { entryId: { $in: entryIds } }]);

      const [wholeHits, chunkHits] = await Promise.all([
        nearest(entries, request.embedding, request.limit, where),
        chunks ? nearest(chunks, request.embedding, request.limit * CHUNK_HITS_PER_ENTRY, where) : [],
      ]);
      const whole = new Map(wholeHits.map((hit) => [hit.entryId, hit.score]));
      const bestChunk = new Map<string, number>();
      const keepBest = (hits: { entryId: string; score: number }[]) => {
        for (const hit of hits) {
          bestChunk.set(hit.entryId, Math.max(hit.score, bestChunk.get(hit.entryId) ?? -Infinity));
        }
      };
      keepBest(chunkHits);

      const wholeMissing = [...bestChunk.keys()].filter((entryId) => !whole.has(entryId));
      const chunkMissing = [...whole.keys()].filter((entryId) => !bestChunk.has(entryId));
      await Promise.all([
        (async () => {
          if (wholeMissing.length === 0) return;
          const hits = await nearest(
            entries,
            request.embedding,
            wholeMissing.length,
            onlyEntries(wholeMissing),
          );
          for (const hit of hits) whole.set(hit.entryId, hit.score);
        })(),
        (async () => {
          if (!chunks || chunkMissing.length === 0) return;
          // Their windows all lie beyond the ones fetched (or they have none): rank just theirs, all of them.
          const filter = onlyEntries(chunkMissing);
          const { ids } = await chunks.get({ where: filter, include: [] });
          if (ids.length > 0) keepBest(await nearest(chunks, request.embedding, ids.length, filter));
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
