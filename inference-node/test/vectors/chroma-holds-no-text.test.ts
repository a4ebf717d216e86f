import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChroma } from "@inkwell/dev/testing/chroma";
import { freePort } from "@inkwell/dev/testing/ports";
import { analyzeEntryResultSchema } from "@inkwell/shared";
import { ChromaClient } from "chromadb";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.ts";
import { errorHandler } from "../../src/plugins/error-handler.ts";
import { jobRoutes } from "../../src/routes/jobs/index.ts";
import { createChromaStore } from "../../src/vectors/chroma-store.ts";
import { fakeRuntime } from "../helpers/fake-runtime.ts";
import { deliverSigned } from "../helpers/qstash-signer.ts";
import { testConfig } from "../helpers/test-config.ts";

/**
 * Chroma keeps vectors, ids and numbers, never a document or a text field: its disk (and its backups)
 * must not hold journal text or anything derived from it (docs/design/encryption.md).
 */
const silent = { info() {}, warn() {} };
const dir = mkdtempSync(join(tmpdir(), "inkwell-chroma-no-text-"));
const runtime = fakeRuntime();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MARKER = "quokkamarker";
let chroma: { url: string; stop(): Promise<void> };
let client: ChromaClient;
let config: Config;
let app: FastifyInstance;

beforeAll(async () => {
  chroma = await startChroma({ port: await freePort(), dataDir: join(dir, "chroma") });
  client = new ChromaClient({ host: "127.0.0.1", port: Number(new URL(chroma.url).port) });
  config = testConfig({ CHROMA_URL: chroma.url });
  app = Fastify({ logger: false });
  await app.register(errorHandler);
  await app.register(jobRoutes, { config, runtime, vectors: createChromaStore(chroma.url, silent) });
});
afterAll(async () => {
  await app?.close();
  await runtime.close();
  await chroma?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Everything every collection of entry vectors holds: ids, documents and metadata. */
async function dump() {
  const records: { collection: string; id: string; document: unknown; metadata: Record<string, unknown> }[] =
    [];
  for (const collection of await client.listCollections({ limit: 1000 })) {
    const got = await collection.get({ include: ["documents", "metadatas"] });
    got.ids.forEach((id, i) => {
      records.push({
        collection: collection.name,
        id,
        document: got.documents[i] ?? null,
        metadata: (got.metadatas[i] ?? {}) as Record<string, unknown>,
      });
    });
  }
  return records;
}

describe("what Chroma holds of an analysed entry", () => {
  it("vectors with ids and numbers only: no document, no text metadata, no word of the entry", async () => {
    const userId = randomUUID();
    const entryId = randomUUID();
    const sentences = Array.from(
      { length: 6 },
      (_, i) => `On day ${i} the ${MARKER} by the harbour ${MARKER}${i} told me a secret about my brother.`,
    );
    const res = await deliverSigned(app, config, "/jobs/analyze-entry", {
      jobId: randomUUID(),
      entryId,
      userId,
      contentVersion: 1,
      occurredAt: "2026-03-08T20:00:00.000Z",
      title: `The ${MARKER} diary`,
      content: sentences.join(" "),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(analyzeEntryResultSchema.parse(res.json()).indexed).toBe(true);

    const records = await dump();
    const own = records.filter((r) => r.metadata.entryId === entryId);
    // The entry's whole vector and its sentence windows were written, so there is something to inspect.
    expect(own.length).toBeGreaterThan(1);
    expect(JSON.stringify(records)).not.toContain(MARKER);
    for (const record of own) {
      expect(record.document).toBeNull();
      expect(record.id.startsWith(entryId)).toBe(true);
      for (const [name, value] of Object.entries(record.metadata)) {
        if (typeof value === "number") continue;
        // The only strings are the ids a search filters on.
        expect({ name, ok: typeof value === "string" && UUID.test(value) }).toEqual({ name, ok: true });
      }
      expect(record.metadata).toMatchObject({
        userId,
        entryId,
        occurredAtMs: Date.parse("2026-03-08T20:00:00.000Z"),
      });
    }
  });
});
