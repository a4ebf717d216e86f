import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { authBench } from "../bench/auth.ts";
import { chatBench } from "../bench/chat.ts";
import { insightsBench } from "../bench/insights.ts";
import { journalBench } from "../bench/journal.ts";
import { pipelineBench } from "../bench/pipeline.ts";
import { searchBench } from "../bench/search.ts";
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

/** `npm run bench [name…]`: runs the benchmarks and writes each one's figures to bench/results/<name>.json. */
export async function benchCommand(args: string[]): Promise<number> {
  const selected = args.length > 0 ? benchmarks.filter((b) => args.includes(b.name)) : benchmarks;
  if (selected.length === 0) {
    say(`No benchmark named ${args.join(", ")}; known: ${benchmarks.map((b) => b.name).join(", ")}`);
    return 1;
  }
  const dir = path.join(repoRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  for (const bench of selected) {
    say(`\n▶ ${bench.name}`);
    const result = await bench.run((m) => say(`  ${m}`));
    const file = path.join(dir, `${bench.name}.json`);
    writeFileSync(
      file,
      `${JSON.stringify({ benchmark: bench.name, at: new Date().toISOString(), result }, null, 2)}\n`,
    );
    say(JSON.stringify(result, null, 2));
    say(`results written to ${path.relative(repoRoot, file)}`);
  }
  return 0;
}
