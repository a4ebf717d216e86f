import os from "node:os";
import path from "node:path";
import { toEmotions, toSentiment } from "../../inference-node/src/analysis/entry-analysis.ts";
import { OnnxBackend } from "../../inference-node/src/runtime/onnx-backend.ts";
import { MODEL_RECORD_FILE, readModelRecord } from "../src/files.ts";
import { type ClassifierEntry, loadManifest, type Manifest, type ModelEntry } from "../src/manifest.ts";
import {
  type ClassificationFigures,
  classificationFigures,
  setF1,
} from "../src/offline/classification-metrics.ts";
import {
  JOURNAL_EMOTIONS,
  JOURNAL_SENTIMENTS,
  type JournalPassage,
  loadJournalCorpus,
} from "../src/offline/journal-corpus.ts";
import { feltEmotions } from "../src/offline/journal-heads.ts";
import { defaultModelsDir } from "../src/paths.ts";
import { checkModelFiles } from "../src/verify.ts";

/** Used for a model whose build did not record its own second-emotion ratio (e.g. a pulled one). */
const DEFAULT_SECOND_EMOTION_RATIO = 0.5;

export interface SentimentModelResult extends ClassificationFigures {
  model: string;
  /** The model a node serves for the task when everything present may run (highest priority). */
  isDefault: boolean;
}

export interface EmotionModelResult extends ClassificationFigures {
  model: string;
  isDefault: boolean;
  /** Share of passages whose top label is any of their gold labels (one or two). */
  topInGold: number;
  /** Example-based F1 of the one or two emotions the model names (top, plus a close runner-up). */
  setF1: number;
  secondEmotionRatio: number;
}

export interface ClassificationReport {
  set: {
    split: "held-out";
    passages: number;
    sentiment: Record<string, number>;
    emotions: Record<string, number>;
    twoEmotions: number;
  };
  sentiment: SentimentModelResult[];
  emotion: EmotionModelResult[];
}

export interface ClassificationOptions {
  modelsDir?: string;
  manifest?: Manifest;
  /** Evaluate only these manifest ids (default: every sentiment and emotion model present). */
  models?: readonly string[];
  log?: (line: string) => void;
}

function isClassifier(model: ModelEntry): model is ClassifierEntry {
  return model.format === "onnx" && (model.task === "sentiment" || model.task === "emotion");
}

async function scoreAll(backend: OnnxBackend, texts: readonly string[]) {
  const batchSize = 16;
  const encoded = texts.map((text, index) => ({ index, ids: backend.encode(text) }));
  // Like the node's batcher: similar lengths together.
  const order = [...encoded].sort((a, b) => a.ids.length - b.ids.length || a.index - b.index);
  const out = new Array<{ label: string; score: number }[]>(texts.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    const rows = await backend.classify(batch.map((item) => item.ids));
    batch.forEach((item, i) => {
      out[item.index] = rows[i] ?? [];
    });
  }
  return out;
}

const countBy = (values: readonly string[]) => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

/**
 * Sentiment and emotion quality on the journal corpus' held-out split, for every sentiment and emotion
 * model present (the static floor models, the journal heads, a pulled transformer), each run through the
 * node's own backend and read with the node's own `toSentiment` / `toEmotions`: the labels a writer
 * would see. Emotion figures are for the top label against the passage's first (strongest) label.
 */
export async function evaluateClassifiers(
  options: ClassificationOptions = {},
): Promise<ClassificationReport> {
  const log = options.log ?? (() => {});
  const modelsDir = options.modelsDir ?? defaultModelsDir();
  const manifest = options.manifest ?? loadManifest();
  const corpus = await loadJournalCorpus();
  const heldOut: JournalPassage[] = corpus.heldOut;
  const texts = heldOut.map((p) => p.text);

  const available: ClassifierEntry[] = [];
  for (const model of manifest.models.filter(isClassifier)) {
    if ((await checkModelFiles(model, modelsDir, false)).state === "ok") available.push(model);
  }
  available.sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
  // The default is judged over everything present, even when only some models are evaluated.
  const defaults = new Map<string, string>();
  for (const model of available) if (!defaults.has(model.task)) defaults.set(model.task, model.id);
  const present = available.filter((model) => !options.models || options.models.includes(model.id));

  const report: ClassificationReport = {
    set: {
      split: "held-out",
      passages: heldOut.length,
      sentiment: countBy(heldOut.map((p) => p.sentiment)),
      emotions: countBy(heldOut.map((p) => p.emotions[0] as string)),
      twoEmotions: heldOut.filter((p) => p.emotions.length > 1).length,
    },
    sentiment: [],
    emotion: [],
  };
  for (const model of present) {
    const started = performance.now();
    const backend = await OnnxBackend.load(model, {
      modelsDir,
      device: "cpu",
      threads: Math.max(1, os.availableParallelism()),
      maxBatchSize: 16,
      log: { info: () => {}, warn: (obj, msg) => log(`${model.id}: ${msg} ${JSON.stringify(obj)}`) },
    });
    try {
      const scores = await scoreAll(backend, texts);
      const isDefault = defaults.get(model.task) === model.id;
      if (model.task === "sentiment") {
        report.sentiment.push({
          model: model.id,
          isDefault,
          ...classificationFigures(
            JOURNAL_SENTIMENTS,
            heldOut.map((p) => p.sentiment),
            scores.map((row) => toSentiment(row).label),
          ),
        });
      } else {
        const record = await readModelRecord(path.join(modelsDir, model.id, MODEL_RECORD_FILE));
        const ratio = record?.metrics?.secondEmotionRatio ?? DEFAULT_SECOND_EMOTION_RATIO;
        const emotions = scores.map((row) => toEmotions(row));
        const top = emotions.map((row) => row[0]?.label ?? "neutral");
        report.emotion.push({
          model: model.id,
          isDefault,
          ...classificationFigures(
            JOURNAL_EMOTIONS,
            heldOut.map((p) => p.emotions[0] as string),
            top,
          ),
          topInGold:
            top.filter((label, i) => heldOut[i]?.emotions.includes(label as never)).length / heldOut.length,
          setF1: setF1(
            heldOut.map((p) => p.emotions),
            emotions.map((row) => feltEmotions(row, ratio)),
          ),
          secondEmotionRatio: ratio,
        });
      }
      log(
        `${model.id}: ${heldOut.length} held-out passages in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      await backend.close();
    }
  }
  return report;
}

const fixed = (value: number) => value.toFixed(3);

function perClassTable(
  title: string,
  results: readonly (ClassificationFigures & { model: string; isDefault: boolean })[],
  labels: readonly string[],
): string[] {
  const lines = [
    `| ${title} | macro-F1 | accuracy | ${labels.map((l) => `${l} P / R / F1`).join(" | ")} |`,
    `| --- | --- | --- | ${labels.map(() => "---").join(" | ")} |`,
  ];
  for (const r of results) {
    const cells = labels.map((label) => {
      const c = r.perClass[label];
      return c ? `${fixed(c.precision)} / ${fixed(c.recall)} / ${fixed(c.f1)}` : "-";
    });
    lines.push(
      `| ${r.model}${r.isDefault ? " (default)" : ""} | ${fixed(r.macroF1)} | ${fixed(r.accuracy)} | ${cells.join(" | ")} |`,
    );
  }
  return lines;
}

/** Markdown tables: per model, macro-F1, accuracy and per-class precision / recall / F1, then confusions. */
export function formatClassificationReport(report: ClassificationReport): string {
  const set = report.set;
  const lines = [
    `Journal corpus, held-out split: ${set.passages} passages (sentiment ${Object.entries(set.sentiment)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}; ${set.twoEmotions} with two emotions).`,
  ];
  if (report.sentiment.length > 0) {
    lines.push("", ...perClassTable("sentiment model", report.sentiment, JOURNAL_SENTIMENTS));
  }
  if (report.emotion.length > 0) {
    lines.push(
      "",
      ...perClassTable("emotion model (top label)", report.emotion, JOURNAL_EMOTIONS),
      "",
      "| emotion model | top label in gold | one-or-two-label set F1 | second-label ratio |",
      "| --- | --- | --- | --- |",
      ...report.emotion.map(
        (r) => `| ${r.model} | ${fixed(r.topInGold)} | ${fixed(r.setF1)} | ${r.secondEmotionRatio} |`,
      ),
    );
  }
  for (const r of report.sentiment) {
    lines.push(
      "",
      `${r.model} confusion (rows gold, columns predicted: ${JOURNAL_SENTIMENTS.join(", ")}): ${JOURNAL_SENTIMENTS.map((g) => `${g} [${JOURNAL_SENTIMENTS.map((p) => r.confusion[g]?.[p] ?? 0).join(" ")}]`).join("; ")}`,
    );
  }
  return lines.join("\n");
}
