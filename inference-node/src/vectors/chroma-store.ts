import { chunkCollectionName, type VectorRecord, vectorCollectionName } from "@inkwell/shared";
import type { Collection, Metadata } from "chromadb";
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
  /**
   * Makes these the entry's sentence-window vectors in the model's chunk collection: windows it had
   * beyond them (before an edit shortened it) are removed, and none are left for an entry of one sentence.
   */
  replaceChunks(model: string, chunks: EntryChunks): Promise<boolean>;
  /** Removes these entries' vectors, whole and sentence windows, from every model's collections. */
  deleteEntries(entryIds: readonly string[]): Promise<boolean>;
  /** Removes every vector of one user, whole and sentence windows (account deletion). */
  deleteUser(userId: string): Promise<boolean>;
}

export interface EntryChunks extends Omit<VectorRecord, "embedding"> {
  /** One per sentence window, in the entry's order; empty for an entry of one sentence. */
  embeddings: readonly number[][];
}

const ENTRY_PREFIX = "entries-";
const CHUNK_PREFIX = "entry-chunks-";

/** A window's id: stable per position, so re-embedding an entry overwrites its windows in place. */
export function chunkId(entryId: string, index: number): string {
  return `${entryId}#${index}`;
}

/** What search filters on, for an entry's vector and each of its windows alike. */
function entryMetadata(record: Omit<VectorRecord, "embedding">): Metadata {
  return {
    userId: record.userId,
    entryId: record.entryId,
    occurredAt: record.occurredAt,
    // Numeric too, so a search can filter a date range with $gte/$lt.
    occurredAtMs: Date.parse(record.occurredAt),
  };
}

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
      replaceChunks: async () => false,
      deleteEntries: async () => false,
      deleteUser: async () => false,
    };
  }
  const client = chromaClientFor(chromaUrl, chromaToken);
  const collections = new Map<string, Promise<Collection>>();

  const collection = (name: string, model: string): Promise<Collection> => {
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

  /** Runs a write against a collection, once more on a fresh handle if the collection vanished. */
  const writeTo = async (name: string, model: string, write: (target: Collection) => Promise<void>) => {
    try {
      await write(await collection(name, model));
    } catch (error) {
      // The collection was dropped (a wiped Chroma, an operator's reset) since we cached its handle:
      // look it up afresh, creating it again, and write once more.
      if ((error as Error).name !== "ChromaNotFoundError") throw error;
      collections.delete(name);
      log.warn({ model, collection: name }, "Chroma collection vanished; recreating it");
      await write(await collection(name, model));
    }
  };

  const indexCollections = async (): Promise<Collection[]> => {
    const all: Collection[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await client.listCollections({ limit: 100, offset });
      all.push(...page.filter((c) => c.name.startsWith(ENTRY_PREFIX) || c.name.startsWith(CHUNK_PREFIX)));
      if (page.length < 100) return all;
    }
  };

  return {
    enabled: true,
    async upsert(model, records) {
      if (records.length === 0) return true;
      await writeTo(vectorCollectionName(model), model, (target) =>
        target.upsert({
          ids: records.map((r) => r.entryId),
          embeddings: records.map((r) => r.embedding),
          metadatas: records.map(entryMetadata),
        }),
      );
      return true;
    },
    async replaceChunks(model, chunks) {
      const count = chunks.embeddings.length;
      await writeTo(chunkCollectionName(model), model, async (target) => {
        // Overwrite in place first and trim after, so a search meanwhile sees the old windows or the new,
        // never none.
        if (count > 0) {
          await target.upsert({
            ids: chunks.embeddings.map((_, i) => chunkId(chunks.entryId, i)),
            embeddings: chunks.embeddings.map((embedding) => [...embedding]),
            metadatas: chunks.embeddings.map((_, i) => ({ ...entryMetadata(chunks), chunk: i })),
          });
        }
        // Looked up before deleting: a read is cheap, a delete is a write even when nothing matches, and
        // most entries are new or keep their length.
        const { ids: stale } = await target.get({
          where: {
            $and: [{ userId: chunks.userId }, { entryId: chunks.entryId }, { chunk: { $gte: count } }],
          },
          include: [],
        });
        if (stale.length > 0) await target.delete({ ids: stale });
      });
      return true;
    },
    async deleteEntries(entryIds) {
      if (entryIds.length === 0) return true;
      for (const target of await indexCollections()) {
        // An entry's vector has the entry's id; its windows carry it in their metadata.
        if (target.name.startsWith(ENTRY_PREFIX)) await target.delete({ ids: [...entryIds] });
        else await target.delete({ where: { entryId: { $in: [...entryIds] } } });
      }
      return true;
    },
    async deleteUser(userId) {
      for (const target of await indexCollections()) await target.delete({ where: { userId } });
      return true;
    },
  };
}
