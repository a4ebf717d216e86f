import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChroma } from "@inkwell/dev/testing/chroma";
import { freePort } from "@inkwell/dev/testing/ports";
import {
  analyzeEntryResultSchema,
  EDGE_SIGNATURE_HEADER,
  entryChunks,
  signEdgeRequest,
  vectorSearchResponseSchema,
  writerChunkCollectionName,
} from "@inkwell/shared";
import { ChromaClient } from "chromadb";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safetyMeaningFor } from "../../src/analysis/safety-meaning.ts";
import { buildApp } from "../../src/app.ts";
import type { Config } from "../../src/config.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { deliverSigned, randomSigningKey } from "../helpers/qstash-signer.ts";
import { FLOOR_MODELS, loadBuiltRuntime } from "../helpers/real-runtime.ts";
import { testConfig, testHardware } from "../helpers/test-config.ts";

const dir = mkdtempSync(join(tmpdir(), "inkwell-chunked-search-"));
const MODEL = FLOOR_MODELS.embedding as string;
const nodeToken = randomSigningKey();
let chroma: { url: string; stop(): Promise<void> };
let runtime: InferenceRuntime;
let config: Config;
let app: FastifyInstance;
let client: ChromaClient;

beforeAll(async () => {
  chroma = await startChroma({ port: await freePort(), dataDir: join(dir, "chroma") });
  runtime = await loadBuiltRuntime();
  // As a node does before it listens: the crisis assessor's prototype bank, embedded once.
  await safetyMeaningFor(runtime);
  config = testConfig({ CHROMA_URL: chroma.url, NODE_TOKEN: nodeToken });
  app = await buildApp(config, { hardware: testHardware, runtime });
  client = new ChromaClient({ host: "127.0.0.1", port: Number(new URL(chroma.url).port) });
});
afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await chroma?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const QUERY = "went for a run by the river";

/** A week of work, family and chores, with one paragraph about a run along the river. */
const WEEK_PARAGRAPHS = [
  "Monday and Tuesday disappeared into budget meetings and a quarterly report that nobody will read.",
  "On Wednesday my sister called about our mother's hospital appointment and we argued about who should drive her.",
  "Thursday I finally cooked a proper dinner, a lentil curry, and ate it in front of the television.",
  "Saturday morning I ran ten kilometres along the river before breakfast, my legs heavy but my head clear, and I beat my best time by a minute.",
  "Sunday I cleaned the flat, paid the electricity bill and went to bed early.",
  "The new project at work is slipping and I keep waking at four thinking about spreadsheets.",
  "My manager wants the slides redone for the board and I stayed late twice to finish them.",
  "Friday evening I had drinks with colleagues but left early because I was exhausted.",
];
const WEEK = { title: "A long week", content: WEEK_PARAGRAPHS.join("\n\n") };
/** The same week without the run. */
const WEEK_EDITED = {
  title: "A long week",
  content: WEEK_PARAGRAPHS.filter((p) => !p.includes("ran ten")).join("\n\n"),
};
/** By the river, but no run: nearer the query than the week as a whole. */
const RIVERSIDE = {
  content:
    "Sat by the river with a coffee and watched the rowers. The water was high after the rain and the ducks were loud.",
};
const OFFICE = {
  content: "Long day at the office. The printer broke twice and my manager moved the deadline again.",
};

const cosine = (a: readonly number[], b: readonly number[]) =>
  a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);

async function queryVector(): Promise<number[]> {
  return Array.from((await runtime.embed([QUERY])).vectors[0] ?? []);
}

/** One writer of their own per case, as a fresh tenant. */
function writer() {
  const userId = randomUUID();
  return {
    userId,
    /** Delivers the analyze-entry job for a new entry (or an edit of `entryId`); answers with the job's result. */
    async write(entry: { title?: string; content: string }, entryId: string = randomUUID()) {
      const response = await deliverSigned(app, config, "/jobs/analyze-entry", {
        jobId: randomUUID(),
        entryId,
        userId,
        contentVersion: 1,
        occurredAt: "2026-03-08T20:00:00.000Z",
        ...entry,
      });
      expect(response.statusCode, response.body).toBe(200);
      const result = analyzeEntryResultSchema.parse(response.json());
      expect(result.indexed).toBe(true);
      return { entryId, embedding: result.embedding };
    },
    /** Semantic search as the edge asks for it: the query's vector, this writer, 50 neighbours. */
    async search(): Promise<string[]> {
      const body = JSON.stringify({ model: MODEL, embedding: await queryVector(), userId, limit: 50 });
      const signature = await signEdgeRequest({
        nodeToken,
        method: "POST",
        path: "/v1/vectors/search",
        body,
      });
      const response = await app.inject({
        method: "POST",
        url: "/v1/vectors/search",
        headers: { "content-type": "application/json", [EDGE_SIGNATURE_HEADER]: signature },
        payload: body,
      });
      expect(response.statusCode, response.body).toBe(200);
      const { model, items } = vectorSearchResponseSchema.parse(response.json());
      expect(model).toBe(MODEL);
      return items.map((item) => item.entryId);
    },
  };
}

/** The sentence windows a writer's chunk collection holds, of one entry or all. */
async function windows(userId: string, where?: { entryId: string }): Promise<string[]> {
  const collection = await client
    .getCollection({ name: writerChunkCollectionName(MODEL, userId) })
    .catch((error: Error) => {
      // The writer's collections are dropped with their account: no windows are left.
      if (error.name === "ChromaNotFoundError") return undefined;
      throw error;
    });
  if (!collection) return [];
  const { ids } = await collection.get(where ? { where } : {});
  return ids.sort();
}

describe("semantic search over sentence windows", () => {
  it("finds the long entry whose one paragraph is about the query before an entry that is not", async () => {
    const me = writer();
    const week = await me.write(WEEK);
    const riverside = await me.write(RIVERSIDE);
    const office = await me.write(OFFICE);
    // Compared as whole entries the riverside one is nearer: the run is one paragraph of eight.
    const query = await queryVector();
    expect(cosine(query, riverside.embedding)).toBeGreaterThan(cosine(query, week.embedding));

    expect(await me.search()).toEqual([week.entryId, riverside.entryId, office.entryId]);
    // One window per sentence of the title and text; a one-sentence entry would have none.
    expect(await windows(me.userId, { entryId: week.entryId })).toHaveLength(entryChunks(WEEK).length);
  });

  it("never shows another writer's entries, whatever their windows match", async () => {
    const me = writer();
    const riverside = await me.write(RIVERSIDE);
    const other = writer();
    const theirs = await other.write(WEEK);
    expect(await me.search()).toEqual([riverside.entryId]);
    expect(await other.search()).toEqual([theirs.entryId]);
  });

  it("replaces an edited entry's windows, so the paragraph taken out no longer finds it", async () => {
    const me = writer();
    const week = await me.write(WEEK);
    const riverside = await me.write(RIVERSIDE);
    expect(await me.search()).toEqual([week.entryId, riverside.entryId]);

    await me.write(WEEK_EDITED, week.entryId);
    const kept = entryChunks(WEEK_EDITED).length;
    expect(kept).toBeLessThan(entryChunks(WEEK).length);
    expect(await windows(me.userId, { entryId: week.entryId })).toEqual(
      Array.from({ length: kept }, (_, i) => `${week.entryId}#${i}`).sort(),
    );
    expect(await me.search()).toEqual([riverside.entryId, week.entryId]);

    // Edited down to one sentence: nothing to window.
    await me.write({ content: "Too tired to write more tonight." }, week.entryId);
    expect(await windows(me.userId, { entryId: week.entryId })).toEqual([]);
  });

  it("deleting an entry takes its windows out of the index, and only its own", async () => {
    const me = writer();
    const week = await me.write(WEEK);
    const riverside = await me.write(RIVERSIDE);
    const sameWeek = await me.write(WEEK);

    const response = await deliverSigned(app, config, "/jobs/purge-entry-vectors", {
      jobId: randomUUID(),
      entryIds: [week.entryId],
    });
    expect(response.json()).toEqual({ jobId: expect.any(String), purged: true });
    expect(await windows(me.userId, { entryId: week.entryId })).toEqual([]);
    expect(await windows(me.userId, { entryId: sameWeek.entryId })).toHaveLength(entryChunks(WEEK).length);
    expect(await me.search()).toEqual([sameWeek.entryId, riverside.entryId]);
  });

  it("deleting an account takes every window of its writer out of the index, and no one else's", async () => {
    const me = writer();
    await me.write(WEEK);
    await me.write(RIVERSIDE);
    const other = writer();
    const theirs = await other.write(WEEK);

    const response = await deliverSigned(app, config, "/jobs/purge-entry-vectors", {
      jobId: randomUUID(),
      userId: me.userId,
    });
    expect(response.json()).toEqual({ jobId: expect.any(String), purged: true });
    expect(await windows(me.userId)).toEqual([]);
    expect(await me.search()).toEqual([]);
    expect(await windows(other.userId)).toHaveLength(entryChunks(WEEK).length);
    expect(await other.search()).toEqual([theirs.entryId]);
  });
});
