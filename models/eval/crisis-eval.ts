import { assessSafety, assessSafetyByRules } from "@inkwell/shared";
import { SafetyMeaning } from "../../inference-node/src/analysis/safety-meaning.ts";

import { loadManifest } from "../src/manifest.ts";
import { defaultModelsDir } from "../src/paths.ts";
import { type CrisisItem, type CrisisReport, evaluateCrisis, loadCrisisSet } from "./crisis-set.ts";
import { availableEmbeddingModels, loadEvalEmbedder } from "./embedding-models.ts";

export interface CrisisModelReport {
  model: string;
  /** The thresholds the node uses for this model; absent when it is uncalibrated (rules alone). */
  thresholds?: { threshold: number };
  report: CrisisReport;
}

export interface CrisisEvaluation {
  items: number;
  /** The hand-written rules alone. */
  rulesOnly: CrisisReport;
  /** Rules plus the lexical reader: what the edge answers when no node does. */
  edge: CrisisReport;
  /** Rules plus meaning, per embedding model present (what a node serving that model returns). */
  models: CrisisModelReport[];
}

export interface CrisisEvaluationOptions {
  models?: readonly string[];
  modelsDir?: string;
  items?: readonly CrisisItem[];
  log?: (line: string) => void;
}

/**
 * The crisis figures for `npm run eval`: the rules alone, rules plus the lexical reader (what the edge applies
 * when no node answers), and rules plus lexical plus meaning with every embedding model present, through the node's own assessor and backend.
 */
export async function evaluateCrisisModels(options: CrisisEvaluationOptions = {}): Promise<CrisisEvaluation> {
  const log = options.log ?? (() => {});
  const items = options.items ?? (await loadCrisisSet());
  const rulesOnly = await evaluateCrisis(
    async (texts) => texts.map((text) => assessSafetyByRules(text)),
    items,
  );
  const edge = await evaluateCrisis(async (texts) => texts.map((text) => assessSafety(text)), items);
  const modelsDir = options.modelsDir ?? defaultModelsDir({});
  const present = await availableEmbeddingModels(loadManifest(), modelsDir);
  const chosen = options.models ? present.filter((m) => options.models?.includes(m.id)) : present;
  const models: CrisisModelReport[] = [];
  for (const entry of chosen) {
    const embedder = await loadEvalEmbedder(entry, modelsDir, log);
    try {
      const meaning = await SafetyMeaning.create({
        model: entry.id,
        embed: (texts) => embedder.embed(texts),
      });
      const report = await evaluateCrisis((texts) => meaning.assess(texts), items);
      models.push({
        model: entry.id,
        ...(meaning.head ? { thresholds: { threshold: meaning.head.threshold } } : {}),
        report,
      });
      log(`crisis: ${entry.id} evaluated`);
    } finally {
      await embedder.close();
    }
  }
  return { items: items.length, rulesOnly, edge, models };
}

/** One table for `npm run eval`: every assessor, both splits, the figures the targets are set on. */
export function formatCrisisEvaluation(evaluation: CrisisEvaluation): string {
  const rows = [
    { name: "rules alone", report: evaluation.rulesOnly },
    { name: "rules + lexical (edge, no node)", report: evaluation.edge },
    ...evaluation.models.map((m) => ({ name: `rules + meaning, ${m.model}`, report: m.report })),
  ];
  const lines = [
    `crisis set: ${evaluation.items} items (targets on held-out: high/critical recall >= 0.95, no critical below high, tricky false alarms <= 0.10)`,
    "",
    "| assessor | split | high/critical recall | moderate+ recall | critical below high | tricky false alarms | ordinary false alarms | exact level |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const { name, report } of rows) {
    for (const splitName of ["train", "heldout"] as const) {
      const m = report[splitName];
      lines.push(
        `| ${name} | ${splitName} | ${m.highRecall.toFixed(2)} (${m.highTotal}) | ${m.moderateRecall.toFixed(2)} (${m.moderateTotal}) ` +
          `| ${m.criticalBelowHigh}/${m.criticalTotal} | ${m.trickyFalseAlarm.toFixed(2)} (${m.trickyTotal}) ` +
          `| ${m.ordinaryFalseAlarm.toFixed(2)} (${m.ordinaryTotal}) | ${m.exact.toFixed(2)} |`,
      );
    }
  }
  return lines.join("\n");
}

/** `cd models && ../node_modules/.bin/tsx eval/crisis-eval.ts`: the crisis table alone. */
async function main(): Promise<void> {
  const evaluation = await evaluateCrisisModels({ log: console.error });
  console.log(formatCrisisEvaluation(evaluation));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
