import type { VectorRecord } from "@inkwell/shared";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.ts";
import { errorHandler } from "../../src/plugins/error-handler.ts";
import { jobRoutes } from "../../src/routes/jobs/index.ts";
import type { EntryChunks, VectorStore } from "../../src/vectors/chroma-store.ts";
import { fakeRuntime } from "../helpers/fake-runtime.ts";
import { deliverSigned } from "../helpers/qstash-signer.ts";
import { testConfig } from "../helpers/test-config.ts";

/** Records what the routes ask of the vector store. */
class RecordingStore implements VectorStore {
  enabled = true;
  upserts: { model: string; records: readonly VectorRecord[] }[] = [];
  deletedEntries: string[][] = [];
  /** The writer each entry deletion named, undefined for an older edge's purge. */
  deletedEntriesOf: (string | undefined)[] = [];
  deletedUsers: string[] = [];
  async upsert(model: string, records: readonly VectorRecord[]) {
    this.upserts.push({ model, records });
    return true;
  }
  async replaceChunks(_model: string, _chunks: EntryChunks) {
    return true;
  }
  async deleteEntries(ids: readonly string[], userId?: string) {
    this.deletedEntries.push([...ids]);
    this.deletedEntriesOf.push(userId);
    return true;
  }
  async deleteUser(userId: string) {
    this.deletedUsers.push(userId);
    return true;
  }
  async list() {
    return { items: [], next: null };
  }
  async missing() {
    return [];
  }
  async migrateLegacy() {
    return { collection: null, moved: 0, removed: 0, dropped: false, done: true };
  }
}

let app: FastifyInstance;
let config: Config;
const store = new RecordingStore();
const runtime = fakeRuntime();

beforeAll(async () => {
  config = testConfig();
  app = Fastify({ logger: false });
  await app.register(errorHandler);
  await app.register(jobRoutes, { config, runtime, vectors: store });
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

const deliver = (path: string, job: unknown) => deliverSigned(app, config, path, job);

const vector = (entryId: string): VectorRecord => ({
  entryId,
  userId: "user_1",
  occurredAt: "2026-01-02T03:04:05.000Z",
  embedding: [0.6, 0.8],
});

describe("vector jobs", () => {
  it("reindex upserts a page of vectors from Postgres into the model's collection", async () => {
    const res = await deliver("/jobs/reindex", {
      jobId: "job_r",
      model: "m-2d",
      dims: 2,
      items: [vector("e1"), vector("e2")],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ jobId: "job_r", upserted: 2, indexed: true });
    expect(store.upserts.at(-1)).toMatchObject({
      model: "m-2d",
      records: [{ entryId: "e1" }, { entryId: "e2" }],
    });
  });

  it("reindex refuses vectors of the wrong size", async () => {
    const res = await deliver("/jobs/reindex", {
      jobId: "job_r",
      model: "m-2d",
      dims: 3,
      items: [vector("e1")],
    });
    expect(res.statusCode).toBe(400);
  });

  it("purge removes entries' vectors, or every vector of a user", async () => {
    expect((await deliver("/jobs/purge-entry-vectors", { jobId: "job_p", entryIds: ["e1"] })).json()).toEqual(
      {
        jobId: "job_p",
        purged: true,
      },
    );
    expect(store.deletedEntries.at(-1)).toEqual(["e1"]);
    // An older edge names no writer: the store looks everywhere.
    expect(store.deletedEntriesOf.at(-1)).toBeUndefined();
    // A current edge names the writer, so only their collections are touched.
    expect(
      (await deliver("/jobs/purge-entry-vectors", { jobId: "job_q", entryIds: ["e2"], userId: "user_8" }))
        .statusCode,
    ).toBe(200);
    expect(store.deletedEntries.at(-1)).toEqual(["e2"]);
    expect(store.deletedEntriesOf.at(-1)).toBe("user_8");
    expect(store.deletedUsers).toEqual([]);
    expect(
      (await deliver("/jobs/purge-entry-vectors", { jobId: "job_u", userId: "user_9" })).statusCode,
    ).toBe(200);
    expect(store.deletedUsers).toEqual(["user_9"]);
    expect((await deliver("/jobs/purge-entry-vectors", { jobId: "job_x" })).statusCode).toBe(400);
  });

  it("accepts only QStash-signed deliveries", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/jobs/reindex",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ jobId: "job_r", model: "m", dims: 2, items: [] }),
    });
    expect(res.statusCode).toBe(401);
  });
});
