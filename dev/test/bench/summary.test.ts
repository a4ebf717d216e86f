import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { summarise, summaryMarkdown } from "../../src/bench/summary.ts";
import { writeBenchSummary } from "../../src/commands/bench.ts";

const dirs: string[] = [];
function resultsDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "inkwell-bench-summary-"));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files))
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(body));
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the benchmark summary", () => {
  it("reads each target from its benchmark's latest file, with the run's date and commit", () => {
    const dir = resultsDir({
      search: {
        benchmark: "search",
        at: "2026-12-01T10:00:00.000Z",
        commit: "abc1234",
        result: {
          scenarios: [
            { name: "1 user, 1k", node: { p50Ms: 13 }, edge: { p50Ms: 61 } },
            { name: "1 user, 100k", node: { p50Ms: 26 }, edge: { p50Ms: 80 } },
            { name: "100 users, 100k", node: { p50Ms: 18.5 }, edge: { p50Ms: 70 } },
          ],
        },
      },
      journal: {
        benchmark: "journal",
        at: "2026-12-02T09:00:00.000Z",
        commit: "def5678+dirty",
        result: { getEntry: { p50Speedup: 3.4 } },
      },
      // The node's own runner writes its figures at the top level.
      "inference-node": { at: "2026-12-02T11:00:00.000Z", batching: [{ concurrency: 64, speedup: 1.73 }] },
    });
    const rows = summarise(dir);
    const row = (what: string) => rows.find((r) => r.what.includes(what));

    expect(row("one writer with 100k")).toMatchObject({
      value: 26,
      status: "not met",
      measuredAt: "2026-12-01T10:00:00.000Z",
      commit: "abc1234",
    });
    expect(row("among 100 writers")).toMatchObject({ value: 18.5, status: "met" });
    expect(row("Worker adds")).toMatchObject({ value: 48, status: "not met", target: "≤ 30 ms" });
    expect(row("cached GET")).toMatchObject({ value: 3.4, status: "met", commit: "def5678+dirty" });
    expect(row("dynamic batching")).toMatchObject({ value: 1.73, status: "not met", commit: null });
    // No pipeline or chat run yet: said, not guessed.
    expect(row("light load")).toMatchObject({ value: null, status: "not measured", measuredAt: null });
    expect(row("first token")).toMatchObject({ status: "not measured" });
  });

  it("writes the table and its JSON beside the results, and a broken file reads as not measured", () => {
    const dir = resultsDir({ journal: { benchmark: "journal", at: "2026-12-02T09:00:00.000Z", result: {} } });
    writeFileSync(path.join(dir, "pipeline.json"), "{ not json");
    const file = writeBenchSummary(dir);
    const markdown = readFileSync(file, "utf8");
    expect(markdown).toContain("| benchmark | what | measured | target | status | measured at | commit |");
    expect(markdown).toMatch(
      /\| pipeline \| entry POST to analysis done, light load, p50 \| — \| ≤ 250 ms \| not measured \|/,
    );
    const json = JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8")) as { rows: unknown[] };
    expect(json.rows).toHaveLength(summarise(dir).length);
    expect(summaryMarkdown(summarise(dir), "now")).toContain("Generated now");
  });
});
