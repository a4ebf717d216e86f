import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChroma } from "@inkwell/dev/testing/chroma";
import { freePort } from "@inkwell/dev/testing/ports";
import { ChromaClient } from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusFromFiles, loadKnowledgeCorpus } from "../../src/knowledge/corpus.ts";
import { chromaWhere, knowledgeCollectionName } from "../../src/knowledge/knowledge-index.ts";
import { createKnowledgeService } from "../../src/knowledge/knowledge-service.ts";
import { seedKnowledge } from "../../src/knowledge/seed.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { loadBuiltRuntime } from "../helpers/real-runtime.ts";

const dir = mkdtempSync(join(tmpdir(), "inkwell-seed-"));
const corpus = loadKnowledgeCorpus();
const silent = { info() {}, warn() {} };
let runtime: InferenceRuntime;
let chroma: { url: string; stop(): Promise<void> };
let embedCalls = 0;

const embedder = {
  embed: async (texts: readonly string[]) => {
    embedCalls += 1;
    return await runtime.embed(texts);
  },
};
const MODEL = "inkwell-static-embed-100d";

beforeAll(async () => {
  runtime = await loadBuiltRuntime();
  chroma = await startChroma({ port: await freePort(), dataDir: join(dir, "chroma") });
});
afterAll(async () => {
  await chroma?.stop();
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("seeding the knowledge base into Chroma", () => {
  it("is skipped with a log line when CHROMA_URL is unset", async () => {
    const lines: string[] = [];
    const outcome = await seedKnowledge({
      corpus,
      embedder,
      model: MODEL,
      chromaUrl: undefined,
      log: { info: (_o, msg) => lines.push(msg), warn: (_o, msg) => lines.push(msg) },
    });
    expect(outcome).toEqual({ status: "skipped", reason: "CHROMA_URL is not set" });
    expect(lines.join(" ")).toContain("CHROMA_URL is not set");
  });

  it("seeds knowledge-<model> once, then recognises the corpus hash, and re-seeds when it changes", async () => {
    const first = await seedKnowledge({ corpus, embedder, model: MODEL, chromaUrl: chroma.url, log: silent });
    expect(first).toMatchObject({
      status: "seeded",
      collection: `knowledge-${MODEL}`,
      passages: corpus.passages.length,
    });

    const calls = embedCalls;
    const again = await seedKnowledge({ corpus, embedder, model: MODEL, chromaUrl: chroma.url, log: silent });
    expect(again.status).toBe("up-to-date");
    expect(embedCalls).toBe(calls);

    // One passage gone and one changed: the stale vector leaves, the hash moves on.
    const [firstFile, ...rest] = corpus.files;
    if (!firstFile) throw new Error("empty corpus");
    const edited = corpusFromFiles([
      {
        ...firstFile,
        passages: firstFile.passages.slice(1).map((p, i) => (i === 0 ? { ...p, title: `${p.title}!` } : p)),
      },
      ...rest,
    ]);
    const reseeded = await seedKnowledge({
      corpus: edited,
      embedder,
      model: MODEL,
      chromaUrl: chroma.url,
      log: silent,
    });
    expect(reseeded).toMatchObject({ status: "seeded", passages: corpus.passages.length - 1, removed: 1 });

    const client = new ChromaClient({ host: "127.0.0.1", port: Number(new URL(chroma.url).port) });
    const collection = await client.getCollection({ name: knowledgeCollectionName(MODEL) });
    expect(collection.metadata?.corpusHash).toBe(edited.hash);
    expect(await collection.count()).toBe(edited.passages.length);
  });

  it("searches through Chroma with where filters once seeded", async () => {
    const service = createKnowledgeService({
      corpus,
      embedder,
      model: MODEL,
      chromaUrl: chroma.url,
      log: silent,
    });
    expect((await service.seed()).status).toBe("seeded");
    const all = await service.search({ query: "I keep replaying the same worries", limit: 5 });
    expect(all.index).toBe("chroma");
    expect(all.items).toHaveLength(5);
    const filtered = await service.search({
      query: "I keep replaying the same worries",
      domain: "expressive-writing",
      evidenceLevel: "high",
      minCredibility: 0.8,
      limit: 10,
    });
    expect(filtered.items.length).toBeGreaterThan(0);
    for (const hit of filtered.items) {
      expect([hit.domain, hit.evidenceLevel]).toEqual(["expressive-writing", "high"]);
      expect(hit.credibility).toBeGreaterThanOrEqual(0.8);
    }
    // Chroma ranks like the in-memory index: same top passage for the same query.
    const memory = createKnowledgeService({
      corpus,
      embedder,
      model: MODEL,
      chromaUrl: undefined,
      log: silent,
    });
    const inMemory = await memory.search({ query: "I keep replaying the same worries", limit: 5 });
    expect(inMemory.index).toBe("memory");
    expect(all.items[0]?.id).toBe(inMemory.items[0]?.id);
  });

  it("builds Chroma where clauses", () => {
    expect(chromaWhere({})).toBeUndefined();
    expect(chromaWhere({ domain: "sleep" })).toEqual({ domain: { $eq: "sleep" } });
    expect(chromaWhere({ domain: "sleep", minCredibility: 0.5 })).toEqual({
      $and: [{ domain: { $eq: "sleep" } }, { credibility: { $gte: 0.5 } }],
    });
  });
});
