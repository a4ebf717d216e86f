import { beforeAll, describe, expect, it } from "vitest";
import { type EvalSet, loadEvalSet } from "../../eval/eval-set.ts";
import { type EvaluationReport, type ModelResult, runEvaluation } from "../../eval/run.ts";
import { loadManifest } from "../../src/manifest.ts";

/**
 * The offline embedding models, best first; the first is the one a CPU node serves when nothing was
 * pulled ("the default offline model"). Pulled models are left out so the floors do not depend on what
 * happens to be downloaded on this machine.
 */
const offlineModels = loadManifest()
  .models.filter((m) => m.source === "offline-build" && m.task === "embedding")
  .sort((a, b) => b.priority - a.priority)
  .map((m) => m.id);

let set: EvalSet;
let report: EvaluationReport;
const result = (id: string): ModelResult => {
  const found = report.models.find((m) => m.model === id);
  if (!found) throw new Error(`${id} was not evaluated`);
  return found;
};

beforeAll(async () => {
  set = await loadEvalSet();
  report = await runEvaluation({ models: offlineModels });
}, 240_000);

describe("the evaluation set", () => {
  it("is a written journal of the promised size and spread", () => {
    expect(set.entries.length).toBeGreaterThanOrEqual(300);
    expect(set.themes.length).toBeGreaterThanOrEqual(12);
    expect(set.queries.length).toBeGreaterThanOrEqual(60);
    const words = set.entries.map((entry) => entry.content.split(/\s+/).length);
    expect(Math.min(...words)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...words)).toBeLessThanOrEqual(120);
    expect(words.filter((n) => n >= 60).length).toBeGreaterThanOrEqual(20);
    for (const { theme } of set.themes) {
      expect(set.entries.filter((entry) => entry.theme === theme).length, theme).toBeGreaterThanOrEqual(20);
    }
    expect(set.entries.filter((entry) => entry.also.length > 0).length).toBeGreaterThanOrEqual(30);
  });
});

describe("search quality floors", () => {
  // Measured values are in the README ("Search quality"); each floor sits a margin below them, so a
  // regression in the models, the keyword SQL or the fusion fails here instead of going unnoticed.
  it("hybrid beats keyword search for the default offline model", () => {
    const { modes } = result(offlineModels[0] as string);
    expect(modes.hybrid.recallAt10).toBeGreaterThan(modes.keyword.recallAt10);
    expect(modes.hybrid.ndcgAt10).toBeGreaterThan(modes.keyword.ndcgAt10);
  });

  it("semantic search finds most paraphrased entries with the default offline model", () => {
    // Measured 0.638 recall@10 and 0.555 nDCG@10 (use-lite).
    const { modes } = result(offlineModels[0] as string);
    expect(modes.semantic.recallAt10).toBeGreaterThanOrEqual(0.55);
    expect(modes.semantic.ndcgAt10).toBeGreaterThanOrEqual(0.47);
    expect(modes.hybrid.recallAt10).toBeGreaterThanOrEqual(0.55);
  });

  it("the static fallback model still adds to keyword search", () => {
    // Measured 0.431 semantic, 0.441 hybrid recall@10 (inkwell-static-embed-100d).
    const { modes } = result("inkwell-static-embed-100d");
    expect(modes.semantic.recallAt10).toBeGreaterThanOrEqual(0.35);
    expect(modes.hybrid.recallAt10).toBeGreaterThan(modes.keyword.recallAt10);
  });

  it("keyword search is the edge's real Postgres search: it finds literal queries", () => {
    const keyword = result(offlineModels[0] as string).perQuery;
    const literal = keyword.find((q) => q.id === "q-grief-ashes");
    expect(literal?.keyword).toBe(1);
    expect(
      report.models.every((m) => m.modes.keyword.recallAt10 === report.models[0]?.modes.keyword.recallAt10),
    ).toBe(true);
  });

  it("topic discovery on the default model mostly follows the themes", () => {
    // Measured about 0.6 purity with 12–15 topics (use-lite).
    const { topics } = result(offlineModels[0] as string);
    expect(topics.topics).toBeGreaterThanOrEqual(8);
    expect(topics.purity).toBeGreaterThan(0.5);
    expect(topics.coverage).toBeGreaterThan(0.9);
  });
});
