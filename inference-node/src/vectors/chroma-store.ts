import { type VectorRecord, vectorCollectionName } from "@inkwell/shared";
import type { Collection } from "chromadb";
import { chromaClientFor } from "./chroma-client.ts";

export interface VectorStoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Where the node keeps entry vectors for search. Postgres on the edge holds the source of truth; this is
 * an index that a reindex job can rebuild, so every method may fail without losing anything.
 */
export interface VectorStore {
  /** False when no CHROMA_URL is configured: writes are skipped and reported as not indexed. */
  readonly enabled: boolean;
  upsert(model: string, records: readonly VectorRecord[]): Promise<boolean>;
  /** Removes these entries' vectors from every model's collection. */
  deleteEntries(entryIds: readonly string[]): Promise<boolean>;
  /** Removes every vector of one user (account deletion). */
  deleteUser(userId: string): Promise<boolean>;
}

const COLLECTION_PREFIX = "entries-";

/** `chromaToken` is CHROMA_TOKEN: sent on every request when set. */
export function createChromaStore(
  chromaUrl: string | undefined,
  log: VectorStoreLogger,
  chromaToken?: string,
): VectorStore {
  if (!chromaUrl) {
    log.info(
      {},
      "CHROMA_URL is not set: vectors are not indexed on this node (the edge keeps them in Postgres)",
    );
    return {
      enabled: false,
      upsert: async () => false,
      deleteEntries: async () => false,
      deleteUser: async () => false,
    };
  }
  const client = chromaClientFor(chromaUrl, chromaToken);
  const collections = new Map<string, Promise<Collection>>();

  const collection = (model: string): Promise<Collection> => {
    const name = vectorCollectionName(model);
    let pending = collections.get(name);
    if (!pending) {
      // Our own vectors, never Chroma's embedding function; cosine because the vectors are L2-normalised.
      pending = client.getOrCreateCollection({
        name,
        embeddingFunction: null,
        metadata: { model, "hnsw:space": "cosine" },
      });
      // A failed lookup must not be cached: the next job tries again.
      pending.catch(() => collections.delete(name));
      collections.set(name, pending);
    }
    return pending;
  };

  const entryCollections = async (): Promise<Collection[]> => {
    const all: Collection[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await client.listCollections({ limit: 100, offset });
      all.push(...page.filter((c) => c.name.startsWith(COLLECTION_PREFIX)));
      if (page.length < 100) return all;
    }
  };

  return {
    enabled: true,
    async upsert(model, records) {
      if (records.length === 0) return true;
      const write = async () => {
        const target = await collection(model);
        await target.upsert({
          ids: records.map((r) => r.entryId),
          embeddings: records.map((r) => r.embedding),
          metadatas: records.map((r) => ({
            userId: r.userId,
            entryId: r.entryId,
            occurredAt: r.occurredAt,
            // Numeric too, so a search can filter a date range with $gte/$lt.
            occurredAtMs: Date.parse(r.occurredAt),
          })),
        });
      };
      try {
        await write();
      } catch (error) {
        // The collection was dropped (a wiped Chroma, an operator's reset) since we cached its handle:
        // look it up afresh, creating it again, and write once more.
        if ((error as Error).name !== "ChromaNotFoundError") throw error;
        collections.delete(vectorCollectionName(model));
        log.warn({ model }, "Chroma collection vanished; recreating it");
        await write();
      }
      return true;
    },
    async deleteEntries(entryIds) {
      if (entryIds.length === 0) return true;
      for (const target of await entryCollections()) await target.delete({ ids: [...entryIds] });
      return true;
    },
    async deleteUser(userId) {
      for (const target of await entryCollections()) await target.delete({ where: { userId } });
      return true;
    },
  };
}
