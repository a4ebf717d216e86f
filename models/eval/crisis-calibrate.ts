import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { combine, type ReadingScores, SafetyMeaning } from "../../inference-node/src/analysis/safety-meaning.ts";
import type { MeaningThresholds } from "../../inference-node/src/analysis/safety-thresholds.ts";
import { loadManifest } from "../src/manifest.ts";
import { defaultModelsDir } from "../src/paths.ts";
import { type CrisisItem, type CrisisMetrics, crisisMetrics, loadCrisisSet, split } from "./crisis-set.ts";
import { availableEmbeddingModels, loadEvalEmbedder } from "./embedding-models.ts";

/**
 * Calibrates the meaning layer's thresholds per embedding model on the TRAINING split of the crisis set
 * only (held-out texts are never loaded here), and writes them to the node's `safety-thresholds.ts`.
 *
 * The choice: the highest high/critical recall whose tricky and ordinary false-alarm rates stay within a
 * budget below the targets (so the held-out split has room), ties broken towards stricter thresholds.
 *
 *   node_modules/.bin/tsx models/eval/crisis-calibrate.ts
 */

const TRICKY_BUDGET = 0.05;
const ORDINARY_BUDGET = 0.03;

export interface Calibration {
  model: string;
  thresholds: MeaningThresholds;
  train: CrisisMetrics;
}

function metricsFor(items: readonly CrisisItem[], scores: readonly ReadingScores[], t: MeaningThresholds) {
  return crisisMetrics(
    items.map((item, i) => ({ item, level: combine(scores[i] as ReadingScores, t).level })),
    true,
  );
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (Math.abs(d) > 1e-9) return d;
  }
  return 0;
}

export function chooseThresholds(
  items: readonly CrisisItem[],
  scores: readonly ReadingScores[],
): { thresholds: MeaningThresholds; train: CrisisMetrics } {
  let best: { thresholds: MeaningThresholds; train: CrisisMetrics; key: number[] } | undefined;
  for (let risk = 0.3; risk <= 0.951; risk += 0.01) {
    for (let margin = -0.05; margin <= 0.301; margin += 0.01) {
      const thresholds = { risk: Number(risk.toFixed(2)), margin: Number(margin.toFixed(2)) };
      const train = metricsFor(items, scores, thresholds);
      if (train.trickyFalseAlarm > TRICKY_BUDGET || train.ordinaryFalseAlarm > ORDINARY_BUDGET) continue;
      const key = [
        train.highRecall,
        -train.criticalBelowHigh,
        -train.trickyFalseAlarm,
        train.moderateRecall,
        thresholds.margin,
        thresholds.risk,
      ];
      const better = !best || compareKeys(key, best.key) > 0;
      if (better) best = { thresholds, train, key };
    }
  }
  if (!best) throw new Error("no thresholds keep false alarms within budget");
  return { thresholds: best.thresholds, train: best.train };
}

async function main(): Promise<void> {
  const modelsDir = defaultModelsDir({});
  const train = (await loadCrisisSet()).filter((item) => split(item) === "train");
  const calibrations: Calibration[] = [];
  for (const entry of await availableEmbeddingModels(loadManifest(), modelsDir)) {
    const embedder = await loadEvalEmbedder(entry, modelsDir, console.error);
    try {
      const meaning = await SafetyMeaning.create({ model: entry.id, embed: (t) => embedder.embed(t) });
      const scores = await meaning.score(train.map((item) => item.text));
      const chosen = chooseThresholds(train, scores);
      calibrations.push({ model: entry.id, ...chosen });
      const { confusion: _, misses: __, ...figures } = chosen.train;
      console.log(entry.id, JSON.stringify(chosen.thresholds), JSON.stringify(figures));
    } finally {
      await embedder.close();
    }
  }
  const file = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    "../../inference-node/src/analysis/safety-thresholds.ts",
  );
  const { readFile } = await import("node:fs/promises");
  const source = await readFile(file, "utf8");
  const table = calibrations.map((c) => `  "${c.model}": ${JSON.stringify(c.thresholds).replace(/"(\w+)":/g, "$1: ")},`);
  const updated = source.replace(
    /export const MEANING_THRESHOLDS: Readonly<Record<string, MeaningThresholds>> = \{[^]*?\};/,
    `export const MEANING_THRESHOLDS: Readonly<Record<string, MeaningThresholds>> = {\n${table.join("\n")}\n};`,
  );
  await writeFile(file, updated);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
