import {
  chunkCollectionName,
  type ListedVector,
  type VectorListCursor,
  type VectorRecord,
  vectorCollectionName,
} from "@inkwell/shared";
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
  /**
   * Writes the entries' vectors, except where the collection already holds one of a newer content
   * version: a late delivery (an analysis of an older text, a reindex page built before an edit) never
   * replaces what a newer one wrote. True once the index holds these versions or newer ones.
   */
  upsert(model: string, records: readonly VectorRecord[]): Promise<boolean>;
  /**
   * Makes these the entry's sentence-window vectors in the model's chunk collection: windows it had
   * beyond them (before an edit shortened it) are removed, and none are left for an entry of one sentence.
   * Refused, like `upsert`, when the entry's vector or windows come from a newer content version.
   */
  replaceChunks(model: string, chunks: EntryChunks): Promise<boolean>;
  /** Removes these entries' vectors, whole and sentence windows, from every model's collections. */
  deleteEntries(entryIds: readonly string[]): Promise<boolean>;
  /** Removes every vector of one user, whole and sentence windows (account deletion). */
  deleteUser(userId: string): Promise<boolean>;
  /**
   * One page of what the index holds, entry vectors and windows of every model, for the edge to check
   * against Postgres: collections in name order, `limit` records from `cursor` (null: the beginning).
   */
  list(cursor: VectorListCursor | null, limit: number): Promise<VectorListPage>;
}

export interface VectorListPage {
  /** One per entry the page's records belong to. */
  items: ListedVector[];
  /** Null once the last collection has been read. */
  next: VectorListCursor | null;
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
    // A number, never text: Chroma holds ids and numbers only (docs/design/encryption.md); a search
    // filters a date range on it with $gte/$lt.
    occurredAtMs: Date.parse(record.occurredAt),
    ...(record.contentVersion === undefined ? {} : { contentVersion: record.contentVersion }),
  };
}

/** The content version a stored record carries; null for one written before versions were kept. */
function storedVersion(metadata: Metadata | null | undefined): number | null {
  const version = metadata?.contentVersion;
  return typeof version === "number" ? version : null;
}

/**
 * Whether a write of `incoming` must give way to what is stored: a stored version newer than the write's,
 * or any stored version when the write carries none (an older edge's reindex).
 */
function storedIsNewer(stored: number | null, incoming: number | undefined): boolean {
  if (stored === null) return false;
  return incoming === undefined || stored > incoming;
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
      list: async () => ({ items: [], next: null }),
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

  /** Chroma has no conditional write: what is stored is read first, so a race of two writers can still interleave. */
  const newerStored = async (target: Collection, ids: readonly string[]) => {
    const { ids: found, metadatas } = await target.get({ ids: [...ids], include: ["metadatas"] });
    return new Map(found.map((id, i) => [id, storedVersion(metadatas[i])]));
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
      await writeTo(vectorCollectionName(model), model, async (target) => {
        const stored = await newerStored(
          target,
          records.map((r) => r.entryId),
        );
        const fresh = records.filter((r) => !storedIsNewer(stored.get(r.entryId) ?? null, r.contentVersion));
        if (fresh.length < records.length) {
          log.info(
            { model, refused: records.length - fresh.length },
            "older vectors not written over newer ones",
          );
        }
        if (fresh.length === 0) return;
        await target.upsert({
          ids: fresh.map((r) => r.entryId),
          embeddings: fresh.map((r) => r.embedding),
          metadatas: fresh.map(entryMetadata),
        });
      });
      return true;
    },
    async replaceChunks(model, chunks) {
      const count = chunks.embeddings.length;
      // The whole vector decides too: an entry edited down to one sentence has a newer vector and no windows.
      let wholeVersion: number | null = null;
      await writeTo(vectorCollectionName(model), model, async (target) => {
        wholeVersion = (await newerStored(target, [chunks.entryId])).get(chunks.entryId) ?? null;
      });
      if (storedIsNewer(wholeVersion, chunks.contentVersion)) return true;
      await writeTo(chunkCollectionName(model), model, async (target) => {
        // Looked up before writing: a window of a newer version means this write is late, and the windows
        // past the new count are the ones to trim.
        const existing = await target.get({ where: { entryId: chunks.entryId }, include: ["metadatas"] });
        const versions = existing.metadatas.map(storedVersion);
        if (versions.some((version) => storedIsNewer(version, chunks.contentVersion))) return;
        // Overwrite in place first and trim after, so a search meanwhile sees the old windows or the new,
        // never none.
        if (count > 0) {
          await target.upsert({
            ids: chunks.embeddings.map((_, i) => chunkId(chunks.entryId, i)),
            embeddings: chunks.embeddings.map((embedding) => [...embedding]),
            metadatas: chunks.embeddings.map((_, i) => ({ ...entryMetadata(chunks), chunk: i })),
          });
        }
        // A delete is a write even when nothing matches, and most entries are new or keep their length.
        const stale = existing.ids.filter((_, i) => {
          const chunk = existing.metadatas[i]?.chunk;
          return typeof chunk !== "number" || chunk >= count;
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
    async list(cursor, limit) {
      const targets = (await indexCollections()).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      const names = targets.map((c) => c.name);
      // A collection dropped since the last page: go on with the next one by name.
      let at = cursor ? names.findIndex((name) => name >= cursor.collection) : 0;
      let offset = cursor && names[at] === cursor.collection ? cursor.offset : 0;
      const byEntry = new Map<string, ListedVector>();
      let read = 0;
      while (at >= 0 && at < names.length && read < limit) {
        const target = targets[at] as Collection;
        const page = await target.get({ limit: limit - read, offset, include: ["metadatas"] });
        read += page.ids.length;
        page.ids.forEach((id, i) => {
          const metadata = page.metadatas[i];
          const entryId = typeof metadata?.entryId === "string" ? metadata.entryId : id;
          const userId = typeof metadata?.userId === "string" ? metadata.userId : "";
          const key = `${userId}\u0000${entryId}`;
          const version = storedVersion(metadata);
          const seen = byEntry.get(key);
          // An entry's oldest record is the one that matters: a window left from an older version.
          if (!seen || (version ?? -1) < (seen.contentVersion ?? -1)) {
            byEntry.set(key, { entryId, userId, contentVersion: version });
          }
        });
        if (read < limit) {
          at += 1;
          offset = 0;
        } else {
          offset += page.ids.length;
        }
      }
      const next = at >= 0 && at < names.length ? { collection: names[at] as string, offset } : null;
      // A record without an owner cannot be searched by anyone, but is listed so the edge removes it.
      return {
        items: [...byEntry.values()].map((item) => ({ ...item, userId: item.userId || "unknown" })),
        next,
      };
    },
  };
}
