import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  assessSafetyByRules,
  LEXICAL_DIMS,
  type LexicalModel,
  lexicalFeatures,
  lexicalProbabilityOf,
  lexicalText,
  readSignals,
  resultFromSignals,
  SAFETY_LEVELS,
  type SafetyResult,
  type SignalReading,
  wholeTextSignals,
} from "@inkwell/shared";
import { loadJournalCorpus } from "../src/offline/journal-corpus.ts";
import {
  balancedClassWeights,
  CRISIS_FOLDS,
  type CrisisItem,
  type CrisisMetrics,
  crisisFold,
  crisisMetrics,
  loadCrisisSet,
  split,
} from "./crisis-set.ts";

/**
 * Trains the lexical reader (`shared/src/safety-lexical.ts`) on the TRAINING split of the crisis set (held-out
 * texts are never loaded) and writes `shared/src/safety-lexical.weights.json`. The label is "high or critical";
 * its threshold is chosen out of fold (three folds by id), on top of the rules, as the highest high/critical
 * recall that adds at most a small budget of false alarms to the rules' own (tricky and ordinary crisis-set
 * items, and everyday journal passages).
 *
 *   cd models && ../node_modules/.bin/tsx eval/crisis-lexical.ts
 */

/** What the reader may add to the rules' own false alarms: tricky and ordinary items raised to moderate or above. */
const TRICKY_BUDGET = 0.02;
const ORDINARY_BUDGET = 0.01;
/** Everyday journal passages the reader alone would raise to high: each is a writer shown crisis lines for nothing. */
const EVERYDAY_BUDGET = 0.01;
const L2 = 2e-4;
const EPOCHS = 300;

type Features = ReadonlyMap<number, number>;

export const highOrCritical = (item: Pick<CrisisItem, "level">): boolean =>
  item.level === "high" || item.level === "critical";

/** Sparse L2-regularised logistic regression, AdaGrad over full batches, classes weighted to balance. */
export function trainSparseLogistic(
  x: readonly Features[],
  y: readonly number[],
  dims: number = LEXICAL_DIMS,
  l2: number = L2,
  epochs: number = EPOCHS,
): { bias: number; weights: Float64Array } {
  const w = new Float64Array(dims);
  const g2 = new Float64Array(dims).fill(1e-8);
  let b = 0;
  let gb2 = 1e-8;
  const classWeight = balancedClassWeights(y);
  const rate = 0.5;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const grad = new Float64Array(dims);
    let gradB = 0;
    for (let n = 0; n < x.length; n++) {
      const features = x[n] as Features;
      let z = b;
      for (const [i, v] of features) z += (w[i] as number) * v;
      const label = y[n] as number;
      const err = (1 / (1 + Math.exp(-z)) - label) * (classWeight[label] as number);
      for (const [i, v] of features) grad[i] = (grad[i] as number) + err * v;
      gradB += err;
    }
    for (let i = 0; i < dims; i++) {
      const g = (grad[i] as number) / x.length + l2 * (w[i] as number);
      if (g === 0) continue;
      g2[i] = (g2[i] as number) + g * g;
      w[i] = (w[i] as number) - (rate * g) / Math.sqrt(g2[i] as number);
    }
    const gB = gradB / x.length;
    gb2 += gB * gB;
    b -= (rate * gB) / Math.sqrt(gb2);
  }
  return { bias: b, weights: w };
}

/** Weights rounded and stored sparsely: what the shared module ships. */
export function toModel(trained: { bias: number; weights: Float64Array }, threshold: number): LexicalModel {
  const indices: number[] = [];
  const values: number[] = [];
  trained.weights.forEach((value, index) => {
    const rounded = Number(value.toFixed(3));
    if (rounded !== 0) {
      indices.push(index);
      values.push(rounded);
    }
  });
  return { dims: LEXICAL_DIMS, bias: Number(trained.bias.toFixed(4)), indices, values, threshold };
}

/** Rules plus the lexical reader at a given probability and threshold: what the edge answers alone. */
export function withLexical(reading: SignalReading, probability: number, threshold: number): SafetyResult {
  return resultFromSignals(reading, wholeTextSignals(reading, probability, threshold, { lexical: true }));
}

/** A journal passage used as a negative: everyday writing, sad and hard days included. */
export interface EverydayText {
  id: string;
  text: string;
}

/**
 * The journal corpus's training passages (`models/data/journal`, its own held-out fifth never loaded), as
 * negatives: they teach the reader what an ordinary entry of any length looks like. Passages the rules read
 * as moderate or above are left out rather than guessed at.
 */
export async function everydayNegatives(): Promise<EverydayText[]> {
  const corpus = await loadJournalCorpus();
  return corpus.train
    .filter(
      (p) => SAFETY_LEVELS.indexOf(assessSafetyByRules(p.text).level) < SAFETY_LEVELS.indexOf("moderate"),
    )
    .map((p) => ({ id: p.id, text: p.text }));
}

const featuresOf = (text: string): Features => lexicalFeatures(lexicalText(readSignals(text)));

/**
 * Each crisis item's and everyday passage's probability from a model trained on the other folds: what
 * tuning on top of the reader may look at.
 */
export function outOfFoldLexical(
  items: readonly CrisisItem[],
  everyday: readonly EverydayText[],
): { items: number[]; everyday: number[] } {
  const all = [
    ...items.map((item) => ({ id: item.id, text: item.text, label: highOrCritical(item) ? 1 : 0 })),
    ...everyday.map((p) => ({ id: p.id, text: p.text, label: 0 })),
  ];
  const features = all.map((row) => featuresOf(row.text));
  const probabilities = new Array<number>(all.length).fill(0);
  for (let f = 0; f < CRISIS_FOLDS; f++) {
    const keep = all.map((_, i) => i).filter((i) => crisisFold(all[i] as { id: string }) !== f);
    const model = toModel(
      trainSparseLogistic(
        keep.map((i) => features[i] as Features),
        keep.map((i) => (all[i] as { label: number }).label),
      ),
      0.5,
    );
    all.forEach((row, i) => {
      if (crisisFold(row) === f) probabilities[i] = lexicalProbabilityOf(model, features[i] as Features);
    });
  }
  return { items: probabilities.slice(0, items.length), everyday: probabilities.slice(items.length) };
}

function chooseThreshold(
  items: readonly CrisisItem[],
  probabilities: readonly number[],
  everyday: readonly number[],
): { threshold: number; metrics: CrisisMetrics; everydayFalseAlarm: number } {
  let best: { threshold: number; metrics: CrisisMetrics; everydayFalseAlarm: number } | undefined;
  const readings = items.map((item) => readSignals(item.text));
  const rules = crisisMetrics(
    items.map((item, i) => ({ item, level: resultFromSignals(readings[i] as SignalReading).level })),
    false,
  );
  for (let step = 30; step <= 99; step++) {
    const threshold = step / 100;
    const metrics = crisisMetrics(
      items.map((item, i) => ({
        item,
        level: withLexical(readings[i] as SignalReading, probabilities[i] as number, threshold).level,
      })),
      true,
    );
    const everydayFalseAlarm = everyday.filter((p) => p >= threshold).length / Math.max(1, everyday.length);
    if (metrics.trickyFalseAlarm > rules.trickyFalseAlarm + TRICKY_BUDGET) continue;
    if (metrics.ordinaryFalseAlarm > rules.ordinaryFalseAlarm + ORDINARY_BUDGET) continue;
    if (everydayFalseAlarm > EVERYDAY_BUDGET) continue;
    if (!best || metrics.highRecall > best.metrics.highRecall)
      best = { threshold, metrics, everydayFalseAlarm };
  }
  if (!best) throw new Error("no threshold keeps false alarms within budget");
  return best;
}

async function main(): Promise<void> {
  const train = (await loadCrisisSet()).filter((item) => split(item) === "train");
  const everyday = await everydayNegatives();
  const outOfFold = outOfFoldLexical(train, everyday);
  const { threshold, metrics, everydayFalseAlarm } = chooseThreshold(
    train,
    outOfFold.items,
    outOfFold.everyday,
  );
  const { confusion: _c, misses, ...summary } = metrics;
  console.log(
    `threshold ${threshold}`,
    "out-of-fold train:",
    JSON.stringify({ ...summary, everydayFalseAlarm, everydayTotal: everyday.length }),
  );
  console.log("  missed:", misses?.missed.join(" "), "\n  false alarms:", misses?.falseAlarms.join(" "));
  const model = toModel(
    trainSparseLogistic(
      [...train.map((item) => featuresOf(item.text)), ...everyday.map((p) => featuresOf(p.text))],
      [...train.map((item) => (highOrCritical(item) ? 1 : 0)), ...everyday.map(() => 0)],
    ),
    threshold,
  );
  const file = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    "../../shared/src/safety-lexical.weights.json",
  );
  await writeFile(file, `${JSON.stringify(model)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), file)} (${model.indices.length} weights)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
