import {
  type CheckedVector,
  type ListedVector,
  type VectorListCursor,
  type VectorRecord,
  writerChunkCollectionName,
  writerVectorCollectionName,
} from "@inkwell/shared";
import type { Collection, Metadata } from "chromadb";
import { chromaClientFor } from "./chroma-client.ts";
import {
  collectionKind,
  isNotFound,
  LEGACY_CHUNK_PREFIX,
  LEGACY_ENTRY_PREFIX,
  MODELS_COLLECTION,
} from "./collection-names.ts";
import { HandleCache } from "./handle-cache.ts";

export interface VectorStoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Where the node keeps entry vectors for search: a collection per (model, writer) for whole entries and
 * one for their sentence windows, so a search reads only its writer's index. Postgres on the edge holds
 * the source of truth; this is an index that a reindex job can rebuild, so every method may fail without
 * losing anything.
 */
export interface VectorStore {
  /** False when no CHROMA_URL is configured: writes are skipped and reported as not indexed. */
  readonly enabled: boolean;
  /**
   * Writes the entries' vectors, each into its writer's collection, except where the collection already
   * holds one of a newer content version: a late delivery (an analysis of an older text, a reindex page
   * built before an edit) never replaces what a newer one wrote. True once the index holds these
   * versions or newer ones.
   */
  upsert(model: string, records: readonly VectorRecord[]): Promise<boolean>;
  /**
   * Makes these the entry's sentence-window vectors in its writer's chunk collection: windows it had
   * beyond them (before an edit shortened it) are removed, and none are left for an entry of one sentence.
   * Refused, like `upsert`, when the entry's vector or windows come from a newer content version.
   */
  replaceChunks(model: string, chunks: EntryChunks): Promise<boolean>;
  /**
   * Removes these entries' vectors, whole and sentence windows, of every model. With `userId` (the
   * writer they all belong to) only that writer's collections are touched; without, every collection.
   */
  deleteEntries(entryIds: readonly string[], userId?: string): Promise<boolean>;
  /** Removes every vector of one user, whole and sentence windows (account deletion): drops their collections. */
  deleteUser(userId: string): Promise<boolean>;
  /**
   * One page of what the index holds, entry vectors and windows of every model and writer, for the edge
   * to check against Postgres: collections in name order, `limit` records from `cursor` (null: the beginning).
   */
  list(cursor: VectorListCursor | null, limit: number): Promise<VectorListPage>;
  /**
   * Which of these entries' whole vectors the index lacks, or holds of an older content version than
   * asked about: what the edge sends back from Postgres. One read per writer's collection.
   */
  missing(model: string, items: readonly CheckedVector[]): Promise<string[]>;
  /**
   * Moves one page of a per-model collection, as nodes before per-writer collections kept them, into
   * the writers' own collections, and drops the per-model collection once it is empty.
   */
  migrateLegacy(pageSize?: number): Promise<LegacyMigrationStep>;
}

export interface LegacyMigrationStep {
  /** The per-model collection the step worked on; null when none was left. */
  collection: string | null;
  /** Records written into writers' collections (older than what a writer's collection held: skipped). */
  moved: number;
  /** Records taken out of the per-model collection. */
  removed: number;
  /** Whether the per-model collection was empty and has been dropped. */
  dropped: boolean;
  /** True once no per-model collection is left. */
  done: boolean;
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

export interface ChromaStoreOptions {
  /** Collection handles kept (least recently used dropped first). */
  handleCacheSize?: number;
}

/** Records moved per migration step: a page of 512-d vectors is about 2 MB of JSON. */
export const LEGACY_MIGRATION_PAGE = 500;
/**
 * How long the store trusts what it learnt of the per-model collections: an older node still running
 * during an upgrade may create one again, and deletions must find it.
 */
const LEGACY_RECHECK_MS = 10 * 60_000;

/** A window's id: stable per position, so re-embedding an entry overwrites its windows in place. */
export function chunkId(entryId: string, index: number): string {
  return `${entryId}#${index}`;
}

/** What search filters on, for an entry's vector and each of its windows alike; never any text. */
function entryMetadata(record: Omit<VectorRecord, "embedding">): Metadata {
  return {
    // Kept although each writer has collections of their own: a record names its owner wherever it lies.
    userId: record.userId,
    entryId: record.entryId,
    // A number, never text: Chroma holds ids and numbers only (docs/design/encryption.md); a search
    // filters a date range on it with $gte/$lt.
    occurredAtMs: Date.parse(record.occurredAt),
    ...(record.contentVersion === undefined ? {} : { contentVersion: record.contentVersion }),
  };
}

/**
 * What a moved record keeps of its per-model metadata: the owner, the entry, the numbers search filters
 * and versions on, and a window's place; nothing else an older node may have stored beside them.
 */
function movedMetadata(metadata: Metadata): Metadata {
  const kept: Metadata = {};
  for (const key of ["userId", "entryId"] as const) {
    if (typeof metadata[key] === "string") kept[key] = metadata[key];
  }
  for (const key of ["occurredAtMs", "contentVersion", "chunk"] as const) {
    if (typeof metadata[key] === "number") kept[key] = metadata[key];
  }
  if (kept.occurredAtMs === undefined && typeof metadata.occurredAt === "string") {
    const at = Date.parse(metadata.occurredAt);
    if (Number.isFinite(at)) kept.occurredAtMs = at;
  }
  return kept;
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

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function groupByWriter<T extends { userId: string }>(records: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const record of records) {
    const group = groups.get(record.userId);
    if (group) group.push(record);
    else groups.set(record.userId, [record]);
  }
  return groups;
}

/** `chromaToken` is CHROMA_TOKEN: sent on every request when set. */
export function createChromaStore(
  chromaUrl: string | undefined,
  log: VectorStoreLogger,
  chromaToken?: string,
  options: ChromaStoreOptions = {},
): VectorStore & { readonly cachedHandles: number } {
  if (!chromaUrl) {
    log.info(
      {},
      "CHROMA_URL is not set: vectors are not indexed on this node (the edge keeps them in Postgres)",
    );
    return {
      enabled: false,
      cachedHandles: 0,
      upsert: async () => false,
      replaceChunks: async () => false,
      deleteEntries: async () => false,
      deleteUser: async () => false,
      list: async () => ({ items: [], next: null }),
      missing: async () => [],
      migrateLegacy: async () => ({ collection: null, moved: 0, removed: 0, dropped: false, done: true }),
    };
  }
  const client = chromaClientFor(chromaUrl, chromaToken);
  const handles = new HandleCache<Promise<Collection>>(options.handleCacheSize);

  /** The collection, created when missing. */
  const collection = (name: string, metadata: Metadata): Promise<Collection> => {
    let pending = handles.get(name);
    if (!pending) {
      // Our own vectors, never Chroma's embedding function; cosine because the vectors are L2-normalised.
      const created = client.getOrCreateCollection({
        name,
        embeddingFunction: null,
        metadata: { ...metadata, "hnsw:space": "cosine" },
      });
      // A failed lookup must not be cached: the next job tries again.
      created.catch(() => handles.delete(name, created));
      handles.set(name, created);
      pending = created;
    }
    return pending;
  };

  /** The collection if it exists; nothing is created. */
  const existing = async (name: string): Promise<Collection | undefined> => {
    const cached = handles.get(name);
    if (cached) return await cached;
    try {
      const found = await client.getCollection({ name });
      handles.set(name, Promise.resolve(found));
      return found;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  /** Runs a write against a collection, once more on a fresh handle if the collection vanished. */
  const writeTo = async (name: string, metadata: Metadata, write: (target: Collection) => Promise<void>) => {
    try {
      await write(await collection(name, metadata));
    } catch (error) {
      // The collection was dropped (a wiped Chroma, an operator's reset, the writer's account deleted
      // by another node) since we cached its handle: look it up afresh, creating it again, and write once more.
      if (!isNotFound(error)) throw error;
      handles.delete(name);
      log.warn({ collection: name }, "Chroma collection vanished; recreating it");
      await write(await collection(name, metadata));
    }
  };

  /** Runs an operation on a collection if it exists; a collection dropped meanwhile counts as empty. */
  const withExisting = async (name: string, operation: (target: Collection) => Promise<unknown>) => {
    const target = await existing(name);
    if (!target) return;
    try {
      await operation(target);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      handles.delete(name);
    }
  };

  // Which embedding models have per-writer collections: deleting a writer's entries or account looks up
  // their collections of each, by name, instead of listing every collection in Chroma.
  const registeredModels = new Set<string>();
  const registerModel = async (model: string) => {
    if (registeredModels.has(model)) return;
    const registry = await collection(MODELS_COLLECTION, { purpose: "models with per-writer collections" });
    // Written before the model's first writer collection, so a deletion that reads the list afterwards finds it.
    await registry.upsert({ ids: [model], embeddings: [[1]], metadatas: [{ model }] });
    registeredModels.add(model);
  };
  const knownModels = async (): Promise<string[]> => {
    const registry = await existing(MODELS_COLLECTION);
    if (!registry) return [];
    try {
      const { ids } = await registry.get({ include: [] });
      return ids;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      handles.delete(MODELS_COLLECTION);
      return [];
    }
  };

  /** Every collection in Chroma, in pages of 100. */
  const allCollections = async (): Promise<Collection[]> => {
    const all: Collection[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await client.listCollections({ limit: 100, offset });
      all.push(...page);
      if (page.length < 100) return all;
    }
  };
  const indexCollections = async (): Promise<Collection[]> =>
    (await allCollections()).filter((c) => collectionKind(c.name) !== null).sort(byName);

  // The per-model collections left from before per-writer ones, learnt from one listing and kept a while.
  let legacy: { names: string[]; at: number } | null = null;
  const legacyNames = async (): Promise<string[]> => {
    if (legacy && Date.now() - legacy.at < LEGACY_RECHECK_MS) return legacy.names;
    const names = (await allCollections())
      .map((c) => c.name)
      .filter((name) => collectionKind(name)?.legacy)
      .sort();
    legacy = { names, at: Date.now() };
    return names;
  };
  const forgetLegacy = (name: string) => {
    if (legacy) legacy = { ...legacy, names: legacy.names.filter((n) => n !== name) };
    handles.delete(name);
  };

  /** Chroma has no conditional write: what is stored is read first, so a race of two writers can still interleave. */
  const newerStored = async (target: Collection, ids: readonly string[]) => {
    const { ids: found, metadatas } = await target.get({ ids: [...ids], include: ["metadatas"] });
    return new Map(found.map((id, i) => [id, storedVersion(metadatas[i])]));
  };

  const writerMetadata = (model: string, userId: string): Metadata => ({ model, userId });

  /** One writer's whole-entry vectors into their collection, older versions refused. Answers how many were written. */
  const upsertWriter = async (model: string, userId: string, records: readonly VectorRecord[]) => {
    await registerModel(model);
    let written = 0;
    await writeTo(
      writerVectorCollectionName(model, userId),
      writerMetadata(model, userId),
      async (target) => {
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
        written = fresh.length;
        if (fresh.length === 0) return;
        await target.upsert({
          ids: fresh.map((r) => r.entryId),
          embeddings: fresh.map((r) => r.embedding),
          metadatas: fresh.map(entryMetadata),
        });
      },
    );
    return written;
  };

  /** Entries of one writer out of their collections of every model. */
  const deleteWriterEntries = async (userId: string, entryIds: readonly string[]) => {
    for (const model of await knownModels()) {
      await withExisting(writerVectorCollectionName(model, userId), (target) =>
        target.delete({ ids: [...entryIds] }),
      );
      await withExisting(writerChunkCollectionName(model, userId), (target) =>
        target.delete({ where: { entryId: { $in: [...entryIds] } } }),
      );
    }
  };

  /** Entries out of the per-model collections, where they may still lie until the migration moved them. */
  const deleteLegacyEntries = async (entryIds: readonly string[]) => {
    for (const name of await legacyNames()) {
      await withExisting(name, (target) =>
        name.startsWith(LEGACY_ENTRY_PREFIX)
          ? target.delete({ ids: [...entryIds] })
          : target.delete({ where: { entryId: { $in: [...entryIds] } } }),
      );
    }
  };

  /** One page of a per-model collection of whole vectors into a writer's collection, metadata as it was. */
  const moveWhole = async (model: string, userId: string, records: LegacyRecord[]) => {
    await registerModel(model);
    let written = 0;
    await writeTo(
      writerVectorCollectionName(model, userId),
      writerMetadata(model, userId),
      async (target) => {
        const stored = await newerStored(
          target,
          records.map((r) => r.entryId),
        );
        const fresh = records.filter(
          (r) => !storedIsNewer(stored.get(r.entryId) ?? null, r.contentVersion ?? undefined),
        );
        written = fresh.length;
        if (fresh.length === 0) return;
        await target.upsert({
          ids: fresh.map((r) => r.id),
          embeddings: fresh.map((r) => r.embedding),
          metadatas: fresh.map((r) => r.metadata),
        });
      },
    );
    return written;
  };

  /**
   * One page of a per-model collection of windows into the writers' chunk collections. A window of a
   * version older than its writer's whole vector or windows is left behind: the entry was edited since.
   */
  const moveWindows = async (model: string, userId: string, records: LegacyRecord[]) => {
    await registerModel(model);
    const entryIds = [...new Set(records.map((r) => r.entryId))];
    const wholeVersions = new Map<string, number | null>();
    await withExisting(writerVectorCollectionName(model, userId), async (target) => {
      for (const [id, version] of await newerStored(target, entryIds)) wholeVersions.set(id, version);
    });
    let written = 0;
    await writeTo(writerChunkCollectionName(model, userId), writerMetadata(model, userId), async (target) => {
      const present = await target.get({ where: { entryId: { $in: entryIds } }, include: ["metadatas"] });
      const windowVersions = new Map<string, number | null>();
      for (const metadata of present.metadatas) {
        const entryId = metadata?.entryId;
        if (typeof entryId !== "string") continue;
        const version = storedVersion(metadata);
        windowVersions.set(entryId, Math.max(version ?? -1, windowVersions.get(entryId) ?? -1));
      }
      const fresh = records.filter((r) => {
        const incoming = r.contentVersion ?? undefined;
        return (
          !storedIsNewer(wholeVersions.get(r.entryId) ?? null, incoming) &&
          !storedIsNewer(windowVersions.get(r.entryId) ?? null, incoming)
        );
      });
      written = fresh.length;
      if (fresh.length === 0) return;
      await target.upsert({
        ids: fresh.map((r) => r.id),
        embeddings: fresh.map((r) => r.embedding),
        metadatas: fresh.map((r) => r.metadata),
      });
    });
    return written;
  };

  return {
    enabled: true,
    get cachedHandles() {
      return handles.size;
    },
    async upsert(model, records) {
      if (records.length === 0) return true;
      for (const [userId, own] of groupByWriter(records)) await upsertWriter(model, userId, own);
      return true;
    },
    async replaceChunks(model, chunks) {
      const count = chunks.embeddings.length;
      const owner = writerMetadata(model, chunks.userId);
      // The whole vector decides too: an entry edited down to one sentence has a newer vector and no windows.
      let wholeVersion: number | null = null;
      await writeTo(writerVectorCollectionName(model, chunks.userId), owner, async (target) => {
        wholeVersion = (await newerStored(target, [chunks.entryId])).get(chunks.entryId) ?? null;
      });
      if (storedIsNewer(wholeVersion, chunks.contentVersion)) return true;
      await registerModel(model);
      await writeTo(writerChunkCollectionName(model, chunks.userId), owner, async (target) => {
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
    async deleteEntries(entryIds, userId) {
      if (entryIds.length === 0) return true;
      // The per-model collections too, while the migration has not emptied them.
      await deleteLegacyEntries(entryIds);
      if (userId !== undefined) {
        await deleteWriterEntries(userId, entryIds);
        return true;
      }
      // An older edge names no writer: every writer's collections, then.
      for (const target of await indexCollections()) {
        const kind = collectionKind(target.name);
        if (!kind || kind.legacy) continue;
        await withExisting(target.name, (found) =>
          kind.chunks
            ? found.delete({ where: { entryId: { $in: [...entryIds] } } })
            : found.delete({ ids: [...entryIds] }),
        );
      }
      return true;
    },
    async deleteUser(userId) {
      for (const name of await legacyNames()) {
        await withExisting(name, (target) => target.delete({ where: { userId } }));
      }
      for (const model of await knownModels()) {
        for (const name of [
          writerVectorCollectionName(model, userId),
          writerChunkCollectionName(model, userId),
        ]) {
          handles.delete(name);
          try {
            await client.deleteCollection({ name });
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      }
      return true;
    },
    async list(cursor, limit) {
      const targets = await indexCollections();
      const names = targets.map((c) => c.name);
      // A collection dropped since the last page: go on with the next one by name.
      let at = cursor ? names.findIndex((name) => name >= cursor.collection) : 0;
      let offset = cursor && names[at] === cursor.collection ? cursor.offset : 0;
      const byEntry = new Map<string, ListedVector>();
      let read = 0;
      while (at >= 0 && at < names.length && read < limit) {
        const target = targets[at] as Collection;
        let page: Awaited<ReturnType<Collection["get"]>>;
        try {
          page = await target.get({ limit: limit - read, offset, include: ["metadatas"] });
        } catch (error) {
          // Dropped between the listing and this read (an account deletion, the migration): nothing left in it.
          if (!isNotFound(error)) throw error;
          at += 1;
          offset = 0;
          continue;
        }
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
    async missing(model, items) {
      const missing: string[] = [];
      for (const [userId, own] of groupByWriter(items)) {
        const target = await existing(writerVectorCollectionName(model, userId));
        let stored = new Map<string, number | null>();
        if (target) {
          try {
            stored = await newerStored(
              target,
              own.map((item) => item.entryId),
            );
          } catch (error) {
            // Dropped since the lookup (the writer's account deleted): it holds nothing.
            if (!isNotFound(error)) throw error;
            handles.delete(target.name);
          }
        }
        for (const item of own) {
          const version = stored.get(item.entryId);
          // A record without a version was written before versions were kept: present, whatever it holds.
          if (version === undefined || (version !== null && version < item.contentVersion)) {
            missing.push(item.entryId);
          }
        }
      }
      return missing;
    },
    async migrateLegacy(pageSize = LEGACY_MIGRATION_PAGE) {
      const names = await legacyNames();
      const name = names[0];
      if (name === undefined) return { collection: null, moved: 0, removed: 0, dropped: false, done: true };
      const source = await existing(name);
      if (!source) {
        forgetLegacy(name);
        return { collection: name, moved: 0, removed: 0, dropped: false, done: names.length === 1 };
      }
      const model =
        typeof source.metadata?.model === "string"
          ? source.metadata.model
          : name.slice(
              name.startsWith(LEGACY_CHUNK_PREFIX) ? LEGACY_CHUNK_PREFIX.length : LEGACY_ENTRY_PREFIX.length,
            );
      const chunks = name.startsWith(LEGACY_CHUNK_PREFIX);
      const page = await source.get({ limit: pageSize, include: ["embeddings", "metadatas"] });
      if (page.ids.length === 0) {
        try {
          await client.deleteCollection({ name });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        forgetLegacy(name);
        return { collection: name, moved: 0, removed: 0, dropped: true, done: names.length === 1 };
      }
      const records: LegacyRecord[] = page.ids.flatMap((id, i) => {
        const metadata = page.metadatas[i];
        const embedding = page.embeddings[i];
        const userId = metadata?.userId;
        const entryId = metadata?.entryId;
        // A record without an owner can be searched by no one: it is only taken out.
        if (!metadata || !embedding || typeof userId !== "string" || typeof entryId !== "string") return [];
        const contentVersion = storedVersion(metadata);
        return [
          {
            id,
            userId,
            entryId,
            contentVersion,
            embedding: [...embedding],
            metadata: movedMetadata(metadata),
          },
        ];
      });
      let moved = 0;
      for (const [userId, own] of groupByWriter(records)) {
        moved += chunks ? await moveWindows(model, userId, own) : await moveWhole(model, userId, own);
      }
      // Taken out only once written where they belong: a step cut short moves the page again. Two nodes
      // moving the same page write the same records. A purge that lands between this page's read and its
      // write can put a deleted entry's vector back in its writer's collection; the edge's reconciliation
      // finds it there and purges it again, and a search never shows a deleted entry (the edge hydrates hits).
      await source.delete({ ids: page.ids });
      return { collection: name, moved, removed: page.ids.length, dropped: false, done: false };
    },
  };
}

interface LegacyRecord {
  id: string;
  userId: string;
  entryId: string;
  contentVersion: number | null;
  embedding: number[];
  metadata: Metadata;
}
