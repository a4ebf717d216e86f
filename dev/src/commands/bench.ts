import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { authBench } from "../bench/auth.ts";
import { chatBench } from "../bench/chat.ts";
import { insightsBench } from "../bench/insights.ts";
import { journalBench } from "../bench/journal.ts";
import { pipelineBench } from "../bench/pipeline.ts";
import { searchBench } from "../bench/search.ts";
import { currentCommit, summarise, summaryMarkdown } from "../bench/summary.ts";
import { repoRoot } from "../lib/paths.ts";

const say = (message: string) => process.stdout.write(`${message}\n`);

/** A benchmark: a name (its results file) and a run that returns plain figures. */
export interface Benchmark {
  name: string;
  run: (log: (m: string) => void) => Promise<unknown>;
}

export const benchmarks: Benchmark[] = [
  { name: "auth", run: authBench },
  { name: "journal", run: journalBench },
  { name: "pipeline", run: pipelineBench },
  { name: "insights", run: insightsBench },
  { name: "search", run: searchBench },
  { name: "chat", run: chatBench },
  {
    name: "inference-node",
    // Loaded on demand: it pulls in onnxruntime and Transformers.js, which the journal bench does not need.
    run: async (log) => (await import("@inkwell/inference-node/bench")).inferenceNodeBench(log),
  },
];

/**
 * Writes `summary.json` and `summary.md` beside the result files: each target figure with its value, its
 * status and the date and commit of the run it comes from. Returns the Markdown path.
 */
export function writeBenchSummary(dir: string): string {
  const generatedAt = new Date().toISOString();
  const rows = summarise(dir);
  writeFileSync(path.join(dir, "summary.json"), `${JSON.stringify({ generatedAt, rows }, null, 2)}\n`);
  const file = path.join(dir, "summary.md");
  writeFileSync(file, summaryMarkdown(rows, generatedAt));
  return file;
}

/**
 * `npm run bench [name…]`: runs the benchmarks and writes each one's figures, with the date and commit, to
 * bench/results/<name>.json (the latest) and bench/results/history/<date>-<commit>-<name>.json (kept), then
 * the summary table. `npm run bench -- summary` only rebuilds the summary from the files there.
 */
export async function benchCommand(args: string[]): Promise<number> {
  const dir = path.join(repoRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  if (args.length === 1 && args[0] === "summary") {
    const file = writeBenchSummary(dir);
    say(readFileSync(file, "utf8"));
    say(`summary written to ${path.relative(repoRoot, file)}`);
    return 0;
  }
  const selected = args.length > 0 ? benchmarks.filter((b) => args.includes(b.name)) : benchmarks;
  if (selected.length === 0) {
    say(
      `No benchmark named ${args.join(", ")}; known: ${benchmarks.map((b) => b.name).join(", ")} (or "summary")`,
    );
    return 1;
  }
  const history = path.join(dir, "history");
  mkdirSync(history, { recursive: true });
  for (const bench of selected) {
    say(`\n▶ ${bench.name}`);
    const result = await bench.run((m) => say(`  ${m}`));
    const at = new Date().toISOString();
    const commit = currentCommit(repoRoot);
    const body = `${JSON.stringify({ benchmark: bench.name, at, commit, result }, null, 2)}\n`;
    const file = path.join(dir, `${bench.name}.json`);
    writeFileSync(file, body);
    const stamp = at.replace(/[:.]/g, "-");
    writeFileSync(path.join(history, `${stamp}-${commit ?? "unknown"}-${bench.name}.json`), body);
    say(JSON.stringify(result, null, 2));
    say(`results written to ${path.relative(repoRoot, file)}`);
  }
  say(`summary written to ${path.relative(repoRoot, writeBenchSummary(dir))}`);
  return 0;
}
