import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChroma } from "@inkwell/dev/testing/chroma";
import { freePort } from "@inkwell/dev/testing/ports";
import { loadManifest } from "@inkwell/models/manifest";
import { defaultModelsDir } from "@inkwell/models/paths";
import { meanScore, multiVectorScore, ndcgAtK, recallAtK, writerChunkCollectionName } from "@inkwell/shared";
import { ChromaClient } from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkedRanking, embedChunks } from "../../../models/eval/chunk-rankings.ts";
import { availableEmbeddingModels, loadEvalEmbedder } from "../../../models/eval/embedding-models.ts";
import { embeddingText, loadEvalSet } from "../../../models/eval/eval-set.ts";
import { createChromaStore, type VectorStore } from "../../src/vectors/chroma-store.ts";
import { createVectorSearch, type VectorSearch } from "../../src/vectors/vector-search.ts";

const dir = mkdtempSync(join(tmpdir(), "inkwell-vector-search-"));
const silent = { info() {}, warn() {} };
const MODEL = "test-4d";
let chroma: { url: string; stop(): Promise<void> };
let store: VectorStore;
let search: VectorSearch;
let client: ChromaClient;

beforeAll(async () => {
  chroma = await startChroma({ port: await freePort(), dataDir: join(dir, "chroma") });
  store = createChromaStore(chroma.url, silent);
  search = createVectorSearch(chroma.url);
  client = new ChromaClient({ host: "127.0.0.1", port: Number(new URL(chroma.url).port) });
});
afterAll(async () => {
  await chroma?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const unit = (v: number[]) => {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};
const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);

/** The query of every case: "a run along the river", as one axis of a 4-d space. */
const QUERY = [1, 0, 0, 0];
const RUN = [1, 0, 0, 0];
const WORK = [0, 1, 0, 0];
const FAMILY = [0, 0, 1, 0];
const COOKING = [0, 0, 0, 1];
/** A week of meetings, a family call and cooking, with one paragraph about a run. */
const WEEK = unit([0.3, 1, 0.6, 0.6]);
/** Gardening: closer to the query than the week as a whole, but about nothing in it. */
const GARDEN = unit([0.5, 0, 0, 1]);

/** One writer of their own per case, as a fresh tenant. */
function writer() {
  const userId = randomUUID();
  const occurredAt = "2026-03-01T08:00:00.000Z";
  return {
    userId,
    async entry(embedding: number[], windows: number[][] = [], at = occurredAt): Promise<string> {
      const entryId = randomUUID();
      await store.upsert(MODEL, [{ entryId, userId, occurredAt: at, embedding }]);
      await store.replaceChunks(MODEL, { entryId, userId, occurredAt: at, embeddings: windows });
      return entryId;
    },
    search: (limit = 10, extra: { fromMs?: number; toMs?: number; excludeEntryIds?: string[] } = {}) =>
      search.search({ model: MODEL, embedding: QUERY, userId, limit, ...extra }),
  };
}

/** The windows the writer's chunk collection holds for an entry; none once the collection is dropped. */
async function windowsOf(entryId: string, userId: string): Promise<string[]> {
  const collection = await client
    .getCollection({ name: writerChunkCollectionName(MODEL, userId) })
    .catch((error: Error) => {
      if (error.name === "ChromaNotFoundError") return undefined;
      throw error;
    });
  if (!collection) return [];
  const { ids } = await collection.get({ where: { entryId } });
  return ids.sort();
}

describe("searching entries by their sentence windows", () => {
  it("ranks a long entry whose one paragraph matches above an entry that does not", async () => {
    const me = writer();
    const week = await me.entry(WEEK, [WORK, RUN, FAMILY, COOKING]);
    const garden = await me.entry(GARDEN);
    // By whole vectors alone the gardening entry would come first.
    expect(cosine(QUERY, GARDEN)).toBeGreaterThan(cosine(QUERY, WEEK));

    const { items } = await me.search();
    expect(items.map((item) => item.entryId)).toEqual([week, garden]);
    // The evaluation's score: the whole vector and the best window, half each; the whole alone without windows.
    expect(items[0]?.score).toBeCloseTo(multiVectorScore(cosine(QUERY, WEEK), [1, 0, 0, 0]), 5);
    expect(items[1]?.score).toBeCloseTo(cosine(QUERY, GARDEN), 5);
  });

  it("ranks entries of one sentence by their whole vectors, as before windows", async () => {
    // A model whose entries are all short: its window collection exists and is empty.
    const model = "test-4d-short";
    const userId = randomUUID();
    const occurredAt = "2026-03-01T08:00:00.000Z";
    const ids = [randomUUID(), randomUUID()];
    for (const [i, embedding] of [WEEK, GARDEN].entries()) {
      const entryId = ids[i] as string;
      await store.upsert(model, [{ entryId, userId, occurredAt, embedding }]);
      await store.replaceChunks(model, { entryId, userId, occurredAt, embeddings: [] });
    }
    expect(
      await client.getCollection({ name: writerChunkCollectionName(model, userId) }).then((c) => c.count()),
    ).toBe(0);
    const { items } = await search.search({ model, embedding: QUERY, userId, limit: 10 });
    expect(items).toEqual([
      { entryId: ids[1], score: expect.closeTo(cosine(QUERY, GARDEN), 5) },
      { entryId: ids[0], score: expect.closeTo(cosine(QUERY, WEEK), 5) },
    ]);
  });

  it("lists entries, each once, however many of their windows are near", async () => {
    const me = writer();
    const week = await me.entry(WEEK, [RUN, unit([1, 0.1, 0, 0]), unit([1, 0, 0.1, 0]), WORK]);
    const nearRun = unit([1, 0, 0, 0.2]);
    const garden = await me.entry(GARDEN, [nearRun, COOKING]);
    const { items } = await me.search();
    // Gardening's whole vector is the nearer, and its one window almost as near as the week's best.
    expect(items).toEqual([
      {
        entryId: garden,
        score: expect.closeTo(multiVectorScore(cosine(QUERY, GARDEN), [cosine(QUERY, nearRun)]), 5),
      },
      { entryId: week, score: expect.closeTo(multiVectorScore(cosine(QUERY, WEEK), [1]), 5) },
    ]);
  });

  it("finds a long entry by its window when its whole vector is not among the nearest", async () => {
    const me = writer();
    const week = await me.entry(WEEK, [WORK, RUN, FAMILY]);
    // Five entries whose whole vectors are nearer than the week's, each with a window fairly near too.
    for (let i = 0; i < 5; i++)
      await me.entry(unit([0.45, 0, 0, 1]), [unit([0.5, 0, 0, 1]), unit([0.4, 0, 1, 0])]);
    const { items } = await me.search(1);
    expect(items.map((item) => item.entryId)).toEqual([week]);
  });

  it("never lets another writer's windows in, nor crowd out the writer's own", async () => {
    const me = writer();
    // The writer's paragraph about a run is a little off the query; someone else's are exactly on it.
    const week = await me.entry(WEEK, [WORK, unit([1, 0.2, 0, 0])]);
    const garden = await me.entry(GARDEN);
    const other = writer();
    const theirs = [];
    for (let i = 0; i < 6; i++) theirs.push(await other.entry(unit([0.4, 1, 0, 0]), [RUN, WORK]));

    const { items } = await me.search(1);
    expect(items.map((item) => item.entryId)).toEqual([week]);
    const all = await me.search();
    expect(all.items.map((item) => item.entryId)).toEqual([week, garden]);
    expect((await other.search()).items.map((item) => item.entryId).sort()).toEqual(theirs.sort());
  });

  it("applies the date range and exclusions to windows as to whole vectors", async () => {
    const me = writer();
    const march = await me.entry(WEEK, [WORK, RUN], "2026-03-01T08:00:00.000Z");
    const april = await me.entry(WEEK, [FAMILY, RUN], "2026-04-01T08:00:00.000Z");
    const inApril = await me.search(10, { fromMs: Date.parse("2026-04-01T00:00:00.000Z") });
    expect(inApril.items.map((item) => item.entryId)).toEqual([april]);
    const notApril = await me.search(10, { excludeEntryIds: [april] });
    expect(notApril.items.map((item) => item.entryId)).toEqual([march]);
  });

  it("replaces an edited entry's windows: the old paragraph no longer finds it", async () => {
    const me = writer();
    const week = await me.entry(WEEK, [WORK, RUN, FAMILY]);
    const garden = await me.entry(GARDEN);
    expect((await me.search()).items[0]?.entryId).toBe(week);
    expect(await windowsOf(week, me.userId)).toHaveLength(3);

    // Edited: the paragraph about the run is gone, and the entry is shorter.
    const edited = unit([0.05, 1, 0.6, 0]);
    await store.upsert(MODEL, [
      { entryId: week, userId: me.userId, occurredAt: "2026-03-01T08:00:00.000Z", embedding: edited },
    ]);
    await store.replaceChunks(MODEL, {
      entryId: week,
      userId: me.userId,
      occurredAt: "2026-03-01T08:00:00.000Z",
      embeddings: [WORK, FAMILY],
    });
    expect(await windowsOf(week, me.userId)).toEqual([`${week}#0`, `${week}#1`]);
    const { items } = await me.search();
    expect(items.map((item) => item.entryId)).toEqual([garden, week]);
    expect(items[1]?.score).toBeCloseTo(multiVectorScore(cosine(QUERY, edited), [0, 0]), 5);

    // Edited down to one sentence: no windows at all.
    await store.replaceChunks(MODEL, {
      entryId: week,
      userId: me.userId,
      occurredAt: "2026-03-01T08:00:00.000Z",
      embeddings: [],
    });
    expect(await windowsOf(week, me.userId)).toEqual([]);
  });

  it("deleting an entry removes its windows and only its own", async () => {
    const me = writer();
    const week = await me.entry(WEEK, [WORK, RUN, FAMILY]);
    const kept = await me.entry(WEEK, [RUN, COOKING]);
    await store.deleteEntries([week]);
    expect(await windowsOf(week, me.userId)).toEqual([]);
    expect(await windowsOf(kept, me.userId)).toHaveLength(2);
    expect((await me.search()).items.map((item) => item.entryId)).toEqual([kept]);
  });

  it("purging a writer removes every window of theirs and no one else's", async () => {
    const me = writer();
    const mine = [await me.entry(WEEK, [WORK, RUN]), await me.entry(GARDEN, [COOKING, RUN])];
    const other = writer();
    const theirs = await other.entry(WEEK, [WORK, RUN]);
    await store.deleteUser(me.userId);
    for (const entryId of mine) expect(await windowsOf(entryId, me.userId)).toEqual([]);
    expect((await me.search()).items).toEqual([]);
    expect(await windowsOf(theirs, other.userId)).toHaveLength(2);
    expect((await other.search()).items.map((item) => item.entryId)).toEqual([theirs]);
  });
});

describe("on the search evaluation's journal", () => {
  it("ranks as the evaluation's semantic-chunks mode does, so its figures are what the API serves", {
    timeout: 120_000,
  }, async () => {
    const set = await loadEvalSet();
    const modelsDir = defaultModelsDir({});
    const model = (await availableEmbeddingModels(loadManifest(), modelsDir)).find(
      (m) => m.id === "inkwell-static-embed-100d",
    );
    if (!model)
      throw new Error("the static embedding model is not built; run npm run models -- build-offline");
    const embedder = await loadEvalEmbedder(model, modelsDir, () => {});
    const entryVectors = await embedder.embed(set.entries.map(embeddingText));
    const queryVectors = await embedder.embed(set.queries.map((query) => query.text));
    const documents = await embedChunks(
      embedder,
      set.entries.map((entry, i) => ({ ...entry, vector: entryVectors[i] as Float32Array })),
    );
    await embedder.close();

    // One writer's journal: whole vectors as a reindex page writes them, then each entry's windows as the
    // analyze-entry job writes them, sixteen jobs at a time.
    const userId = randomUUID();
    const entries = documents.map((doc, i) => ({
      entryId: doc.id,
      userId,
      occurredAt: set.entries[i]?.occurredAt as string,
    }));
    await store.upsert(
      model.id,
      entries.map((entry, i) => ({ ...entry, embedding: Array.from(documents[i]?.vector ?? []) })),
    );
    const replace = (i: number) =>
      store.replaceChunks(model.id, {
        ...(entries[i] as (typeof entries)[number]),
        embeddings: (documents[i]?.chunks ?? []).map((c) => Array.from(c)),
      });
    for (let i = 0; i < entries.length; i += 16) {
      await Promise.all(entries.slice(i, i + 16).map((_, j) => replace(i + j)));
    }

    const recall = { node: [] as number[], evaluation: [] as number[] };
    const ndcg = { node: [] as number[], evaluation: [] as number[] };
    for (const [q, query] of set.queries.entries()) {
      const vector = queryVectors[q] as Float32Array;
      // The edge asks for 50 neighbours; the evaluation fuses its top 50.
      const { items } = await search.search({
        model: model.id,
        embedding: Array.from(vector),
        userId,
        limit: 50,
      });
      const node = items.map((item) => item.entryId);
      const evaluation = chunkedRanking(vector, documents).slice(0, 50);
      expect(new Set(node).size).toBe(node.length);
      expect(new Set(node.slice(0, 10)), query.text).toEqual(new Set(evaluation.slice(0, 10)));
      recall.node.push(recallAtK(node, query.relevant, 10));
      recall.evaluation.push(recallAtK(evaluation, query.relevant, 10));
      ndcg.node.push(ndcgAtK(node, query.relevant, 10));
      ndcg.evaluation.push(ndcgAtK(evaluation, query.relevant, 10));
    }
    expect(meanScore(recall.node)).toBeCloseTo(meanScore(recall.evaluation), 3);
    expect(meanScore(ndcg.node)).toBeCloseTo(meanScore(ndcg.evaluation), 3);
  });
});
