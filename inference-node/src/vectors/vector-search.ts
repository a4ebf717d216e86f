import { type VectorSearchRequest, type VectorSearchResponse, vectorCollectionName } from "@inkwell/shared";
import type { ChromaClient, Where } from "chromadb";
import { chromaClientFor } from "./chroma-client.ts";

export interface VectorSearch {
  readonly enabled: boolean;
  search(request: VectorSearchRequest): Promise<VectorSearchResponse>;
}

/**
 * Nearest-neighbour queries over the entry collections the pipeline maintains. Always filtered to one
 * user inside Chroma, so another person's vectors never even reach this process.
 */
export function createVectorSearch(chromaUrl: string | undefined, chromaToken?: string): VectorSearch {
  if (!chromaUrl) {
    return {
      enabled: false,
      search: async (request) => ({ model: request.model, items: [] }),
    };
  }
  const client = chromaClientFor(chromaUrl, chromaToken);
  return {
    enabled: true,
    async search(request) {
      let collection: Awaited<ReturnType<ChromaClient["getCollection"]>>;
      try {
        collection = await client.getCollection({ name: vectorCollectionName(request.model) });
      } catch {
        // No collection yet: nothing of this model has been indexed, so nothing is near.
        return { model: request.model, items: [] };
      }
      const clauses: Where[] = [{ userId: request.userId }];
      if (request.fromMs !== undefined) clauses.push({ occurredAtMs: { $gte: request.fromMs } });
      if (request.toMs !== undefined) clauses.push({ occurredAtMs: { $lt: request.toMs } });
      if (request.excludeEntryIds?.length) clauses.push({ entryId: { $nin: request.excludeEntryIds } });
      const where: Where = clauses.length === 1 ? (clauses[0] as Where) : { $and: clauses };
      const result = await collection.query({
        queryEmbeddings: [request.embedding],
        nResults: request.limit,
        where,
        include: ["distances"],
      });
      const ids = result.ids[0] ?? [];
      const distances = result.distances?.[0] ?? [];
      return {
        model: request.model,
        // Cosine space: distance = 1 - cosine similarity.
        items: ids.map((entryId, i) => ({ entryId, score: 1 - (distances[i] ?? 1) })),
      };
    },
  };
}
