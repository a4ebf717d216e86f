import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChroma } from "@inkwell/dev/testing/chroma";
import { freePort } from "@inkwell/dev/testing/ports";
import {
  listVectorsResultSchema,
  writerChunkCollectionName,
  writerVectorCollectionName,
} from "@inkwell/shared";
import { ChromaClient } from "chromadb";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.ts";
import { errorHandler } from "../../src/plugins/error-handler.ts";
import { jobRoutes } from "../../src/routes/jobs/index.ts";
import { createChromaStore, type VectorStore } from "../../src/vectors/chroma-store.ts";
import { fakeRuntime } from "../helpers/fake-runtime.ts";
import { deliverSigned } from "../helpers/qstash-signer.ts";
import { testConfig } from "../helpers/test-config.ts";

const silent = { info() {}, warn() {} };
const dir = mkdtempSync(join(tmpdir(), "inkwell-vector-versions-"));
const MODEL = "versions-2d";
const runtime = fakeRuntime();
let chroma: { url: string; stop(): Promise<void> };
let client: ChromaClient;
let store: VectorStore;
let config: Config;
let app: FastifyInstance;

beforeAll(async () => {
  chroma = await startChroma({ port: await freePort(), dataDir: join(dir, "chroma") });
  client = new ChromaClient({ host: "127.0.0.1", port: Number(new URL(chroma.url).port) });
  store = createChromaStore(chroma.url, silent);
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

const OLD = [1, 0];
const NEW = [0, 1];

function entry(userId = randomUUID()) {
  return { entryId: randomUUID(), userId, occurredAt: "2026-03-08T20:00:00.000Z" };
}

/** The entry's vector as its writer's collection holds it. */
async function stored({ entryId, userId }: { entryId: string; userId: string }) {
  const collection = await client.getCollection({ name: writerVectorCollectionName(MODEL, userId) });
  const got = await collection.get({ ids: [entryId], include: ["embeddings", "metadatas"] });
  return { embedding: got.embeddings[0], version: got.metadatas[0]?.contentVersion };
}

async function windows({ entryId, userId }: { entryId: string; userId: string }) {
  const collection = await client.getCollection({ name: writerChunkCollectionName(MODEL, userId) });
  const got = await collection.get({ where: { entryId }, include: ["metadatas"] });
  return got.metadatas.map((m) => m?.contentVersion).sort();
}

describe("content versions in Chroma", () => {
  it("a late write of an older version leaves the newer vector in place; a newer one overwrites it", async () => {
    const e = entry();
    await store.upsert(MODEL, [{ ...e, embedding: NEW, contentVersion: 2 }]);
    expect(await store.upsert(MODEL, [{ ...e, embedding: OLD, contentVersion: 1 }])).toBe(true);
    expect(await stored(e)).toEqual({ embedding: NEW, version: 2 });
    // A reindex page from an edge that sends no version never replaces a versioned vector either.
    await store.upsert(MODEL, [{ ...e, embedding: OLD }]);
    expect(await stored(e)).toEqual({ embedding: NEW, version: 2 });
    await store.upsert(MODEL, [{ ...e, embedding: OLD, contentVersion: 3 }]);
    expect(await stored(e)).toEqual({ embedding: OLD, version: 3 });
  });

  it("a late analysis of an older, longer text leaves no windows beside the newer vector", async () => {
    const e = entry();
    // The newer text is one sentence: a whole vector and no windows.
    await store.upsert(MODEL, [{ ...e, embedding: NEW, contentVersion: 2 }]);
    await store.replaceChunks(MODEL, { ...e, contentVersion: 2, embeddings: [] });
    // The older analysis lands afterwards, with the windows of its three sentences.
    await store.upsert(MODEL, [{ ...e, embedding: OLD, contentVersion: 1 }]);
    await store.replaceChunks(MODEL, { ...e, contentVersion: 1, embeddings: [OLD, OLD, OLD] });
    expect(await windows(e)).toEqual([]);
    expect((await stored(e)).version).toBe(2);
  });

  it("newer windows are kept against older ones, and a newer text replaces and trims them", async () => {
    const e = entry();
    await store.replaceChunks(MODEL, { ...e, contentVersion: 2, embeddings: [NEW, NEW] });
    await store.replaceChunks(MODEL, { ...e, contentVersion: 1, embeddings: [OLD, OLD, OLD] });
    expect(await windows(e)).toEqual([2, 2]);
    await store.replaceChunks(MODEL, { ...e, contentVersion: 3, embeddings: [NEW] });
    expect(await windows(e)).toEqual([3]);
  });
});

describe("POST /jobs/list-vectors", () => {
  it("pages through every collection, naming each entry once with its writer and version", async () => {
    const writer = randomUUID();
    const a = entry(writer);
    const b = entry(writer);
    await store.upsert(MODEL, [
      { ...a, embedding: NEW, contentVersion: 4 },
      { ...b, embedding: NEW, contentVersion: 1 },
    ]);
    await store.replaceChunks(MODEL, { ...a, contentVersion: 4, embeddings: [NEW, NEW, NEW] });

    const seen = new Map<string, { userId: string; contentVersion: number | null }>();
    let cursor: unknown = null;
    for (let page = 0; page < 100; page++) {
      const res = await deliverSigned(app, config, "/jobs/list-vectors", {
        jobId: "job_l",
        cursor,
        limit: 2,
      });
      expect(res.statusCode, res.body).toBe(200);
      const result = listVectorsResultSchema.parse(res.json());
      expect(result.indexed).toBe(true);
      expect(result.items.length).toBeLessThanOrEqual(2);
      for (const item of result.items) seen.set(item.entryId, item);
      if (!result.next) break;
      cursor = result.next;
    }
    expect(seen.get(a.entryId)).toEqual({ entryId: a.entryId, userId: writer, contentVersion: 4 });
    expect(seen.get(b.entryId)).toEqual({ entryId: b.entryId, userId: writer, contentVersion: 1 });

    // What the edge then sends for an orphan takes it out of every listing.
    const purge = await deliverSigned(app, config, "/jobs/purge-entry-vectors", {
      jobId: "job_p",
      entryIds: [a.entryId],
    });
    expect(purge.statusCode, purge.body).toBe(200);
    const after = listVectorsResultSchema.parse(
      (
        await deliverSigned(app, config, "/jobs/list-vectors", { jobId: "job_l2", cursor: null, limit: 500 })
      ).json(),
    );
    const listed = new Set(after.items.map((item) => item.entryId));
    expect(listed.has(a.entryId)).toBe(false);
    expect(listed.has(b.entryId)).toBe(true);
  });

  it("checks which of Postgres's vectors the index lacks or holds older, and restores them, never over a newer one", async () => {
    const writer = randomUUID();
    const present = entry(writer);
    const older = entry(writer);
    const newer = entry(writer);
    const absent = entry(writer);
    const elsewhere = entry();
    await store.upsert(MODEL, [
      { ...present, embedding: NEW, contentVersion: 2 },
      { ...older, embedding: OLD, contentVersion: 1 },
      { ...newer, embedding: NEW, contentVersion: 5 },
    ]);
    const asked = [
      { ...present, contentVersion: 2 },
      { ...older, contentVersion: 2 },
      { ...newer, contentVersion: 4 },
      { ...absent, contentVersion: 1 },
      // A writer without a collection of the model holds nothing.
      { ...elsewhere, contentVersion: 1 },
    ].map(({ entryId, userId, contentVersion }) => ({ entryId, userId, contentVersion }));
    const checked = listVectorsResultSchema.parse(
      (
        await deliverSigned(app, config, "/jobs/list-vectors", {
          jobId: "job_c",
          limit: 500,
          check: { model: MODEL, items: asked },
        })
      ).json(),
    );
    expect(checked.missing?.sort()).toEqual([older.entryId, absent.entryId, elsewhere.entryId].sort());
    // Nothing is listed when no cursor is given.
    expect(checked.items).toEqual([]);

    // Postgres's versions go back; the entry analysed anew since (5 in the index, 4 sent) keeps its own.
    const restore = await deliverSigned(app, config, "/jobs/list-vectors", {
      jobId: "job_r",
      limit: 500,
      restore: {
        model: MODEL,
        dims: 2,
        items: [
          { ...older, embedding: NEW, contentVersion: 2 },
          { ...newer, embedding: OLD, contentVersion: 4 },
          { ...absent, embedding: NEW, contentVersion: 1 },
        ],
      },
    });
    expect(restore.statusCode, restore.body).toBe(200);
    expect(listVectorsResultSchema.parse(restore.json()).restored).toBe(3);
    expect(await stored(older)).toEqual({ embedding: NEW, version: 2 });
    expect(await stored(newer)).toEqual({ embedding: NEW, version: 5 });
    expect(await stored(absent)).toEqual({ embedding: NEW, version: 1 });
    const again = listVectorsResultSchema.parse(
      (
        await deliverSigned(app, config, "/jobs/list-vectors", {
          jobId: "job_c2",
          limit: 500,
          check: { model: MODEL, items: asked.slice(0, 4) },
        })
      ).json(),
    );
    expect(again.missing).toEqual([]);
    const wrongSize = await deliverSigned(app, config, "/jobs/list-vectors", {
      jobId: "job_r2",
      limit: 500,
      restore: { model: MODEL, dims: 3, items: [{ ...absent, embedding: NEW, contentVersion: 1 }] },
    });
    expect(wrongSize.statusCode).toBe(400);
  });

  it("answers indexed: false on a node without Chroma, and only to QStash-signed deliveries", async () => {
    const bare = Fastify({ logger: false });
    await bare.register(errorHandler);
    await bare.register(jobRoutes, { config, runtime, vectors: createChromaStore(undefined, silent) });
    const res = await deliverSigned(bare, config, "/jobs/list-vectors", {
      jobId: "job_n",
      cursor: null,
      limit: 10,
    });
    expect(res.json()).toEqual({ jobId: "job_n", indexed: false, items: [], next: null });
    const unsigned = await app.inject({
      method: "POST",
      url: "/jobs/list-vectors",
      payload: { jobId: "job_u", cursor: null, limit: 10 },
    });
    expect(unsigned.statusCode).toBe(401);
    await bare.close();
  });
});
