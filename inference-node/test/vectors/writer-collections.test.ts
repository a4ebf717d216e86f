import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChroma } from "@inkwell/dev/testing/chroma";
import { freePort } from "@inkwell/dev/testing/ports";
import {
  chunkCollectionName,
  listVectorsResultSchema,
  vectorCollectionName,
  WRITER_COLLECTION_PREFIX,
  writerChunkCollectionName,
  writerVectorCollectionName,
} from "@inkwell/shared";
import { ChromaClient } from "chromadb";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.ts";
import { errorHandler } from "../../src/plugins/error-handler.ts";
import { jobRoutes } from "../../src/routes/jobs/index.ts";
import { createChromaStore } from "../../src/vectors/chroma-store.ts";
import { runLegacyMigration } from "../../src/vectors/legacy-migration.ts";
import { createVectorSearch } from "../../src/vectors/vector-search.ts";
import { fakeRuntime } from "../helpers/fake-runtime.ts";
import { deliverSigned } from "../helpers/qstash-signer.ts";
import { testConfig } from "../helpers/test-config.ts";

const dir = mkdtempSync(join(tmpdir(), "inkwell-writer-collections-"));
const silent = { info() {}, warn() {} };
const runtime = fakeRuntime();
let chroma: { url: string; stop(): Promise<void> };
let client: ChromaClient;
let store: ReturnType<typeof createChromaStore>;
let search: ReturnType<typeof createVectorSearch>;
let config: Config;
let app: FastifyInstance;

beforeAll(async () => {
  chroma = await startChroma({ port: await freePort(), dataDir: join(dir, "chroma") });
  client = new ChromaClient({ host: "127.0.0.1", port: Number(new URL(chroma.url).port) });
  store = createChromaStore(chroma.url, silent);
  search = createVectorSearch(chroma.url);
  config = testConfig({ CHROMA_URL: chroma.url });
  app = Fastify({ logger: false });
  await app.register(errorHandler);
  await app.register(jobRoutes, { config, runtime, vectors: store });
});
afterAll(async () => {
  await app?.close();
  await runtime.close();
  await chroma?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const AT = "2026-03-01T08:00:00.000Z";
const unit = (v: number[]) => {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};
const QUERY = [1, 0, 0];
const NEAR = unit([1, 0.1, 0]);
const FAR = unit([0, 1, 0.2]);

async function names(): Promise<string[]> {
  const all: string[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await client.listCollections({ limit: 100, offset });
    all.push(...page.map((c) => c.name));
    if (page.length < 100) return all;
  }
}

/** One writer of their own per case, as a fresh tenant, writing whole vectors and windows of `model`. */
function writer(model: string, userId: string = randomUUID()) {
  return {
    userId,
    async entry(embedding: number[], windows: number[][] = [], entryId = randomUUID()): Promise<string> {
      await store.upsert(model, [{ entryId, userId, occurredAt: AT, embedding, contentVersion: 1 }]);
      await store.replaceChunks(model, {
        entryId,
        userId,
        occurredAt: AT,
        contentVersion: 1,
        embeddings: windows,
      });
      return entryId;
    },
    async found(limit = 10): Promise<string[]> {
      const { items } = await search.search({ model, embedding: QUERY, userId, limit });
      return items.map((item) => item.entryId);
    },
  };
}

describe("a collection per writer", () => {
  it("keeps each writer's vectors in collections of their own, named apart from the per-model ones", async () => {
    const model = "iso-3d";
    const a = writer(model);
    const b = writer(model);
    // The same vectors, and even the same entry id, for two writers.
    const shared = randomUUID();
    await a.entry(NEAR, [NEAR, FAR], shared);
    await b.entry(NEAR, [NEAR, FAR], shared);
    const mine = await a.entry(FAR);
    const theirs = await b.entry(NEAR);

    expect((await a.found()).sort()).toEqual([shared, mine].sort());
    expect((await b.found()).sort()).toEqual([shared, theirs].sort());
    const listed = await names();
    for (const user of [a, b]) {
      expect(listed).toContain(writerVectorCollectionName(model, user.userId));
      expect(listed).toContain(writerChunkCollectionName(model, user.userId));
    }
    // No shared per-model collection is written any more.
    expect(listed).not.toContain(vectorCollectionName(model));
    expect(listed).not.toContain(chunkCollectionName(model));
    expect(writerVectorCollectionName(model, a.userId).startsWith(WRITER_COLLECTION_PREFIX)).toBe(true);

    // Each record still names its owner, and carries no text of the entry.
    const own = await client.getCollection({ name: writerVectorCollectionName(model, a.userId) });
    const { metadatas } = await own.get({ include: ["metadatas"] });
    for (const metadata of metadatas) {
      expect(metadata?.userId).toBe(a.userId);
      for (const key of Object.keys(metadata ?? {})) {
        expect(["contentVersion", "entryId", "occurredAtMs", "userId"]).toContain(key);
      }
    }
  });

  it("gives every (model, writer) pair a name of its own that Chroma accepts, whatever the writer's id", async () => {
    const pairs = [
      ["m", "a_b"],
      ["m_a", "b"],
      ["m", "a-b"],
      ["m.x", "user 9/é"],
      ["m", "u.1"],
    ] as const;
    const all = pairs.flatMap(([m, u]) => [
      writerVectorCollectionName(m, u),
      writerChunkCollectionName(m, u),
    ]);
    expect(new Set(all).size).toBe(all.length);
    for (const name of all) expect(name).toMatch(/^w_[a-zA-Z0-9._-]*[a-zA-Z0-9]$/);

    // An id that is no UUID (an older edge's tests, a hand-made account) works end to end.
    const odd = writer("odd-3d", "user 9/é");
    const entryId = await odd.entry(NEAR, [NEAR]);
    expect(await odd.found()).toEqual([entryId]);
  });

  it("account deletion drops that writer's collections of every model, and no one else's", async () => {
    const first = "drop-a-3d";
    const second = "drop-b-3d";
    const gone = randomUUID();
    const stays = randomUUID();
    for (const model of [first, second]) {
      await writer(model, gone).entry(NEAR, [NEAR, FAR]);
      await writer(model, stays).entry(NEAR, [NEAR]);
    }

    expect(await store.deleteUser(gone)).toBe(true);
    const listed = await names();
    for (const model of [first, second]) {
      expect(listed).not.toContain(writerVectorCollectionName(model, gone));
      expect(listed).not.toContain(writerChunkCollectionName(model, gone));
      expect(listed).toContain(writerVectorCollectionName(model, stays));
      expect(listed).toContain(writerChunkCollectionName(model, stays));
      expect(await writer(model, gone).found()).toEqual([]);
      expect(await writer(model, stays).found()).toHaveLength(1);
    }
    // A late write after the deletion finds no stale handle: it creates the collection again.
    const late = await writer(first, gone).entry(NEAR);
    expect(await writer(first, gone).found()).toEqual([late]);
  });

  it("deletes entries in the named writer's collections only, or everywhere for an older edge's purge", async () => {
    const model = "delete-3d";
    const a = writer(model);
    const b = writer(model);
    const same = randomUUID();
    await a.entry(NEAR, [NEAR, FAR], same);
    await b.entry(NEAR, [NEAR, FAR], same);
    const keptA = await a.entry(FAR, [FAR]);

    const named = await deliverSigned(app, config, "/jobs/purge-entry-vectors", {
      jobId: randomUUID(),
      entryIds: [same],
      userId: a.userId,
    });
    expect(named.json()).toEqual({ jobId: expect.any(String), purged: true });
    expect(await a.found()).toEqual([keptA]);
    // The other writer's entry of the same id lies in a collection the purge never opened.
    expect(await b.found()).toEqual([same]);
    const windowsOfB = await client.getCollection({ name: writerChunkCollectionName(model, b.userId) });
    expect((await windowsOfB.get({ where: { entryId: same } })).ids).toHaveLength(2);

    // Without a writer, as an older edge sends it: every writer's collections.
    const unnamed = await deliverSigned(app, config, "/jobs/purge-entry-vectors", {
      jobId: randomUUID(),
      entryIds: [same, keptA],
    });
    expect(unnamed.json()).toEqual({ jobId: expect.any(String), purged: true });
    expect(await a.found()).toEqual([]);
    expect(await b.found()).toEqual([]);
    expect((await windowsOfB.get({ where: { entryId: same } })).ids).toEqual([]);
  });

  it("a reindex page of many writers fills each one's collection, and a listing reads them all", async () => {
    const model = "reindex-3d";
    const writers = [randomUUID(), randomUUID(), randomUUID()];
    const items = writers.flatMap((userId, w) =>
      [0, 1].map((i) => ({
        entryId: randomUUID(),
        userId,
        occurredAt: AT,
        embedding: unit([1, w + 0.1, i]),
        contentVersion: w + i,
      })),
    );
    const res = await deliverSigned(app, config, "/jobs/reindex", {
      jobId: randomUUID(),
      model,
      dims: 3,
      items,
    });
    expect(res.json()).toEqual({ jobId: expect.any(String), upserted: 6, indexed: true });
    for (const userId of writers) {
      const own = items.filter((item) => item.userId === userId).map((item) => item.entryId);
      expect((await writer(model, userId).found()).sort()).toEqual(own.sort());
    }

    const seen = new Map<string, unknown>();
    let cursor: unknown = null;
    for (let page = 0; page < 500; page++) {
      const listed = listVectorsResultSchema.parse(
        (await deliverSigned(app, config, "/jobs/list-vectors", { jobId: "job_l", cursor, limit: 3 })).json(),
      );
      for (const item of listed.items) seen.set(item.entryId, item);
      if (!listed.next) break;
      cursor = listed.next;
    }
    for (const item of items) {
      expect(seen.get(item.entryId)).toEqual({
        entryId: item.entryId,
        userId: item.userId,
        contentVersion: item.contentVersion,
      });
    }
  });

  it("keeps at most the configured number of collection handles, and still finds every writer", async () => {
    const model = "lru-3d";
    const small = createChromaStore(chroma.url, silent, undefined, { handleCacheSize: 4 });
    const smallSearch = createVectorSearch(chroma.url, undefined, { handleCacheSize: 4 });
    const written: { userId: string; entryId: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const userId = randomUUID();
      const entryId = randomUUID();
      await small.upsert(model, [{ entryId, userId, occurredAt: AT, embedding: NEAR }]);
      await small.replaceChunks(model, { entryId, userId, occurredAt: AT, embeddings: [NEAR] });
      written.push({ userId, entryId });
      expect(small.cachedHandles).toBeLessThanOrEqual(4);
    }
    for (const { userId, entryId } of written) {
      const { items } = await smallSearch.search({ model, embedding: QUERY, userId, limit: 5 });
      expect(items.map((item) => item.entryId)).toEqual([entryId]);
      expect(smallSearch.cachedHandles).toBeLessThanOrEqual(4);
    }
    // An evicted writer's collection is opened again for the next write.
    const first = written[0] as { userId: string; entryId: string };
    const again = randomUUID();
    await small.upsert(model, [{ entryId: again, userId: first.userId, occurredAt: AT, embedding: NEAR }]);
    const { items } = await smallSearch.search({ model, embedding: QUERY, userId: first.userId, limit: 5 });
    expect(items.map((item) => item.entryId).sort()).toEqual([first.entryId, again].sort());
  });
});

describe("moving a per-model store into per-writer collections", () => {
  /** Writes vectors as nodes before per-writer collections did: one collection per model, a userId filter. */
  async function legacyStore(model: string, writers: string[], perWriter: number) {
    const open = (name: string) =>
      client.getOrCreateCollection({
        name,
        embeddingFunction: null,
        metadata: { model, "hnsw:space": "cosine" },
      });
    const entries = await open(vectorCollectionName(model));
    const chunks = await open(chunkCollectionName(model));
    const written = new Map<string, string[]>();
    for (const [w, userId] of writers.entries()) {
      const ids: string[] = [];
      for (let i = 0; i < perWriter; i++) {
        const entryId = randomUUID();
        const metadata = {
          userId,
          entryId,
          occurredAt: AT,
          occurredAtMs: Date.parse(AT),
          contentVersion: 1,
        };
        // The same vectors for every writer: only the collections and filters keep them apart.
        const embedding = unit([1, 0.05 * (i + 1), 0.01 * w]);
        await entries.add({ ids: [entryId], embeddings: [embedding], metadatas: [metadata] });
        await chunks.add({
          ids: [`${entryId}#0`, `${entryId}#1`],
          embeddings: [embedding, FAR],
          metadatas: [
            { ...metadata, chunk: 0 },
            { ...metadata, chunk: 1 },
          ],
        });
        ids.push(entryId);
      }
      written.set(userId, ids);
    }
    return written;
  }

  it("searches stay right before, during and after the move, and the per-model collections are dropped", async () => {
    const model = "legacy-3d";
    const writers: string[] = [randomUUID(), randomUUID(), randomUUID()];
    const written = await legacyStore(model, writers, 4);
    const fresh = createChromaStore(chroma.url, silent);
    const results = async () =>
      new Map(
        await Promise.all(
          writers.map(async (userId) => [userId, (await writer(model, userId).found()).sort()] as const),
        ),
      );
    const expected = new Map(writers.map((userId) => [userId, [...(written.get(userId) ?? [])].sort()]));
    // Before: read from the per-model collections, filtered to the writer.
    expect(await results()).toEqual(expected);

    // A writer's new entry meanwhile goes to their own collection; search merges both.
    const [first, second] = writers as [string, string, string];
    const added = await writer(model, first).entry(NEAR, [NEAR]);
    (expected.get(first) as string[]).push(added);
    (expected.get(first) as string[]).sort();

    // One page of 5 records: part of the first writer's entries moved, the rest still per model.
    const step = await fresh.migrateLegacy(5);
    expect(step).toMatchObject({ collection: vectorCollectionName(model), removed: 5, done: false });
    expect(await results()).toEqual(expected);

    // An account deleted halfway loses its vectors wherever they lie.
    await fresh.deleteUser(second);
    expected.set(second, []);
    expect(await results()).toEqual(expected);

    // An entry deleted halfway, with its writer named, leaves both places.
    const removed = (written.get(first) as string[])[3] as string;
    await fresh.deleteEntries([removed], first);
    expected.set(
      first,
      (expected.get(first) as string[]).filter((id) => id !== removed),
    );
    expect(await results()).toEqual(expected);

    const logged: { obj: object; msg: string }[] = [];
    const log = { info: (obj: object, msg: string) => logged.push({ obj, msg }), warn: silent.warn };
    await runLegacyMigration(fresh, log, new AbortController().signal, 3);
    expect(await results()).toEqual(expected);
    // Moved records keep what search filters on: a date range still admits them, or not.
    const inRange = async (fromMs: number) =>
      (await search.search({ model, embedding: QUERY, userId: writers[2] as string, limit: 10, fromMs }))
        .items.length;
    expect(await inRange(Date.parse(AT))).toBe(4);
    expect(await inRange(Date.parse(AT) + 1)).toBe(0);
    const listed = await names();
    expect(listed).not.toContain(vectorCollectionName(model));
    expect(listed).not.toContain(chunkCollectionName(model));
    for (const userId of [first, writers[2] as string]) {
      const own = await client.getCollection({ name: writerChunkCollectionName(model, userId) });
      // Every moved entry keeps both its windows; the one written after the upgrade has its one.
      const ids = expected.get(userId) as string[];
      const windows = await own.get({ where: { entryId: { $in: ids } } });
      expect(windows.ids.length).toBe(ids.reduce((n, id) => n + (id === added ? 1 : 2), 0));
    }
    // Progress is logged as counts and collection names, never anything of an entry.
    expect(logged.length).toBeGreaterThan(0);
    for (const { obj } of logged) {
      for (const value of Object.values(obj)) expect(["number", "string", "boolean"]).toContain(typeof value);
      expect(
        Object.keys(obj).every((key) => ["collection", "page", "moved", "removed", "dropped"].includes(key)),
      ).toBe(true);
    }
    // Nothing is left to do: another start finds no per-model collection.
    expect(await fresh.migrateLegacy()).toMatchObject({ collection: null, done: true });
  });

  it("never moves an older legacy vector over the newer one a writer's collection holds", async () => {
    const model = "legacy-versions-3d";
    const userId: string = randomUUID();
    const written = await legacyStore(model, [userId], 1);
    const entryId = (written.get(userId) as string[])[0] as string;
    // Edited after the upgrade: version 2 lies in the writer's collection, version 1 in the per-model one.
    await store.upsert(model, [{ entryId, userId, occurredAt: AT, embedding: FAR, contentVersion: 2 }]);
    await store.replaceChunks(model, { entryId, userId, occurredAt: AT, contentVersion: 2, embeddings: [] });

    const fresh = createChromaStore(chroma.url, silent);
    await runLegacyMigration(fresh, silent, new AbortController().signal);
    const own = await client.getCollection({ name: writerVectorCollectionName(model, userId) });
    const got = await own.get({ ids: [entryId], include: ["embeddings", "metadatas"] });
    expect(got.metadatas[0]?.contentVersion).toBe(2);
    expect(got.embeddings[0]?.map((x) => Math.round(x * 1000) / 1000)).toEqual(
      FAR.map((x) => Math.round(x * 1000) / 1000),
    );
    const windows = await client.getCollection({ name: writerChunkCollectionName(model, userId) });
    expect((await windows.get({ where: { entryId } })).ids).toEqual([]);
    expect(await names()).not.toContain(chunkCollectionName(model));
  });
});
