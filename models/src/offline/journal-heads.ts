import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { modelsPackageDir } from "../paths.ts";
import { TokenEncoder } from "../token-encoder.ts";
import { USE_LITE_MODEL_ID, useLiteInputsHash } from "../use-lite/build.ts";
import { USE_LITE_OUTPUT } from "../use-lite/convert.ts";
import { argmaxLabel, classificationFigures, setF1 } from "./classification-metrics.ts";
import { EMOTION_LABELS, EMOTION_PROTOTYPES } from "./emotion-prototypes.ts";
import { appendSoftmaxHead, HEAD_OUTPUT } from "./encoder-head-graph.ts";
import { hashInputs } from "./inputs-hash.ts";
import {
  JOURNAL_EMOTIONS,
  JOURNAL_HELD_OUT_FRACTION,
  JOURNAL_SENTIMENTS,
  type JournalCorpus,
  type JournalPassage,
  journalCorpusFingerprint,
  loadJournalCorpus,
} from "./journal-corpus.ts";
import { runTextModel } from "./onnx-run.ts";
import type { BuildContext, BuildResult, OfflineBuilder } from "./registry.ts";
import { type SoftmaxModel, softmaxProbabilities, trainSoftmaxRegression } from "./softmax-regression.ts";

export const SENTIMENT_HEAD_ID = "inkwell-sentiment-use-lite";
export const EMOTION_HEAD_ID = "inkwell-emotion-use-lite";
/** USE-lite reads at most this many tokens; the heads see what the encoder sees. */
export const HEAD_MAX_LENGTH = 128;

/** Ridge strengths tried on a validation slice of the training split (never on the held-out split). */
export const HEAD_LAMBDA_GRID = [0.1, 0.3, 1, 3] as const;
/** Share of the training split set aside to choose the ridge strength and the second-emotion ratio. */
export const VALIDATION_FRACTION = 0.2;
/**
 * A passage labelled with two emotions teaches the head both, the first (stronger) one more: softmax
 * targets of 2/3 and 1/3, so mixed feelings end up as two high scores rather than a coin flip.
 */
export const SECOND_EMOTION_TARGET = 1 / 3;
/** Ratios tried for keeping a second emotion: kept when its score is at least this share of the top one. */
export const SECOND_EMOTION_RATIO_GRID = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8] as const;

/** Held-out texts run through the exported file to prove it matches the fitted head. */
const EXPORT_CHECK_SAMPLE = 24;

export function isValidation(id: string): boolean {
  const digest = createHash("sha256").update(`inkwell-journal-validation-v1:${id}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < VALIDATION_FRACTION;
}

/** The one or two emotions a score row names: the top one, plus the runner-up when it is close enough. */
export function feltEmotions(
  scores: readonly { label: string; score: number }[],
  secondRatio: number,
): string[] {
  const sorted = [...scores].sort((a, b) => b.score - a.score || a.label.localeCompare(b.label));
  const [first, second] = sorted;
  if (!first) return [];
  if (first.label === "neutral" || !second || second.label === "neutral") return [first.label];
  return second.score >= secondRatio * first.score ? [first.label, second.label] : [first.label];
}

interface HeadTask {
  id: string;
  labels: readonly string[];
  /** Gold label used for single-label figures and class balancing. */
  primary(passage: JournalPassage): string;
  target(passage: JournalPassage): number[];
  /** Sentences trained on besides the corpus' training split (never validated or judged on). */
  extra: readonly JournalPassage[];
}

/**
 * The emotion head also learns from the project's 70 prototype sentences (emotion-prototypes.ts): short
 * and explicit ("I am furious with him"), the kind of line journal passages rarely are, so a terse entry
 * is still read right. On the validation slice they cost nothing (macro-F1 0.662 → 0.666).
 */
const PROTOTYPE_PASSAGES: readonly JournalPassage[] = EMOTION_LABELS.flatMap((label) =>
  EMOTION_PROTOTYPES[label].map(
    (text, i): JournalPassage => ({
      id: `prototype-${label}-${i}`,
      text,
      sentiment:
        label === "joy" ? "positive" : label === "neutral" || label === "surprise" ? "neutral" : "negative",
      emotions: [label],
    }),
  ),
);

const sentimentTask: HeadTask = {
  id: SENTIMENT_HEAD_ID,
  labels: JOURNAL_SENTIMENTS,
  primary: (p) => p.sentiment,
  target: (p) => JOURNAL_SENTIMENTS.map((label) => (label === p.sentiment ? 1 : 0)),
  extra: [],
};

const emotionTask: HeadTask = {
  id: EMOTION_HEAD_ID,
  labels: JOURNAL_EMOTIONS,
  primary: (p) => p.emotions[0] as string,
  target: (p) =>
    JOURNAL_EMOTIONS.map((label) => {
      if (p.emotions.length === 1) return label === p.emotions[0] ? 1 : 0;
      if (label === p.emotions[0]) return 1 - SECOND_EMOTION_TARGET;
      return label === p.emotions[1] ? SECOND_EMOTION_TARGET : 0;
    }),
  extra: PROTOTYPE_PASSAGES,
};

interface EmbeddedCorpus {
  corpus: JournalCorpus;
  vectors: Map<string, Float32Array>;
  encoder: TokenEncoder;
  modelBytes: Uint8Array;
  encoderDir: string;
}

/**
 * Passage embeddings by SHA-256 of the text, one file per encoder build: the writers append to the corpus
 * and only new or edited passages need the encoder. Each text is embedded alone (no padding, no batch
 * neighbours), so a cached vector is the one a cold build computes.
 */
const EMBEDDING_CACHE_DIR = path.join(modelsPackageDir, ".cache", "journal-embeddings");
const embeddingCacheSchema = z.record(z.string(), z.string());

async function readEmbeddingCache(file: string): Promise<Map<string, Float32Array>> {
  try {
    const parsed = embeddingCacheSchema.parse(JSON.parse(await readFile(file, "utf8")));
    return new Map(
      Object.entries(parsed).map(([key, base64]) => {
        const bytes = Buffer.from(base64, "base64");
        const vector = new Float32Array(bytes.length / 4);
        new Uint8Array(vector.buffer).set(bytes);
        return [key, vector];
      }),
    );
  } catch {
    return new Map();
  }
}

async function writeEmbeddingCache(file: string, vectors: Map<string, Float32Array>): Promise<void> {
  const out: Record<string, string> = {};
  for (const key of [...vectors.keys()].sort()) {
    const vector = vectors.get(key) as Float32Array;
    out[key] = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");
  }
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.partial`;
  await writeFile(tmp, JSON.stringify(out));
  await rename(tmp, file);
}

const textKey = (text: string) => createHash("sha256").update(text).digest("hex");

// Both heads train on the same embeddings: one pass over the corpus per `build-offline` run.
const embeddedCorpora = new Map<string, Promise<EmbeddedCorpus>>();

async function embedCorpus(encoderDir: string, ctx: BuildContext): Promise<EmbeddedCorpus> {
  const encoderHash = await useLiteInputsHash();
  const key = `${encoderDir}\u0000${encoderHash}\u0000${await journalCorpusFingerprint()}`;
  let pending = embeddedCorpora.get(key);
  if (!pending) {
    pending = (async () => {
      const corpus = await loadJournalCorpus();
      if (corpus.train.length < 50) {
        throw new Error(
          `the journal corpus (models/data/journal/*.jsonl) has ${corpus.train.length} training passages; at least 50 are needed`,
        );
      }
      const modelBytes = new Uint8Array(await readFile(path.join(encoderDir, "model.onnx")));
      const encoder = await TokenEncoder.fromFiles(
        path.join(encoderDir, "tokenizer.json"),
        path.join(encoderDir, "tokenizer_config.json"),
        HEAD_MAX_LENGTH,
      );
      const cacheFile = path.join(EMBEDDING_CACHE_DIR, `${encoderHash}.json`);
      const cache = await readEmbeddingCache(cacheFile);
      const all = [...corpus.passages, ...PROTOTYPE_PASSAGES];
      const missing = [...new Set(all.map((p) => p.text))].filter((t) => !cache.has(textKey(t)));
      if (missing.length > 0) {
        const started = performance.now();
        const rows = await runTextModel(modelBytes, encoder, missing, USE_LITE_OUTPUT, 1);
        missing.forEach((text, i) => {
          cache.set(textKey(text), rows[i] as Float32Array);
        });
        ctx.log(
          `embedded ${missing.length} of ${corpus.passages.length} journal passages with ${USE_LITE_MODEL_ID} in ${((performance.now() - started) / 1000).toFixed(1)} s (the rest were cached)`,
        );
        const wanted = new Set(all.map((p) => textKey(p.text)));
        await writeEmbeddingCache(cacheFile, new Map([...cache].filter(([k]) => wanted.has(k))));
      }
      const vectors = new Map(all.map((p) => [p.id, cache.get(textKey(p.text)) as Float32Array]));
      return { corpus, vectors, encoder, modelBytes, encoderDir };
    })();
    embeddedCorpora.set(key, pending);
    pending.catch(() => embeddedCorpora.delete(key));
  }
  return await pending;
}

function fit(
  task: HeadTask,
  passages: readonly JournalPassage[],
  vectors: Map<string, Float32Array>,
  lambda: number,
) {
  // Classes weighted to equal total weight: the figure that matters is macro-F1, and rare feelings
  // (disgust, surprise) would otherwise be drowned by the common ones.
  const counts = new Map<string, number>();
  for (const p of passages) counts.set(task.primary(p), (counts.get(task.primary(p)) ?? 0) + 1);
  const present = counts.size;
  return trainSoftmaxRegression(
    [...passages, ...task.extra].map((p) => vectors.get(p.id) as Float32Array),
    [...passages, ...task.extra].map((p) => task.target(p)),
    {
      lambda,
      sampleWeights: [
        ...passages.map((p) => passages.length / (present * (counts.get(task.primary(p)) ?? 1))),
        ...task.extra.map(() => 1),
      ],
    },
  );
}

function predict(
  model: SoftmaxModel,
  passages: readonly JournalPassage[],
  vectors: Map<string, Float32Array>,
) {
  return passages.map((p) => softmaxProbabilities(model, vectors.get(p.id) as Float32Array));
}

function macroF1(
  task: HeadTask,
  passages: readonly JournalPassage[],
  probabilities: readonly number[][],
): number {
  return classificationFigures(
    task.labels,
    passages.map((p) => task.primary(p)),
    probabilities.map((row) => argmaxLabel(task.labels, row)),
  ).macroF1;
}

function scoreRows(labels: readonly string[], row: readonly number[]) {
  return labels.map((label, k) => ({ label, score: row[k] as number }));
}

async function buildHead(task: HeadTask, ctx: BuildContext): Promise<BuildResult> {
  ctx.progress.update(0, 4, "embedding the journal corpus");
  const { corpus, vectors, encoder, modelBytes, encoderDir } = await embedCorpus(
    ctx.modelDir(USE_LITE_MODEL_ID),
    ctx,
  );
  const validation = corpus.train.filter((p) => isValidation(p.id));
  const fitting = corpus.train.filter((p) => !isValidation(p.id));

  ctx.progress.update(1, 4, "choosing the ridge strength on a validation slice");
  let bestLambda: number = HEAD_LAMBDA_GRID[0];
  let bestScore = -1;
  let bestValidationRows: number[][] = [];
  for (const lambda of HEAD_LAMBDA_GRID) {
    const rows = predict(fit(task, fitting, vectors, lambda), validation, vectors);
    const score = macroF1(task, validation, rows);
    if (score > bestScore) {
      bestScore = score;
      bestLambda = lambda;
      bestValidationRows = rows;
    }
  }
  const metadata: Record<string, string> = { model_id: task.id, lambda: String(bestLambda) };
  const metrics: Record<string, number> = {
    lambda: bestLambda,
    validationMacroF1: bestScore,
    trainSize: corpus.train.length,
    extraTrainingSentences: task.extra.length,
    heldOutSize: corpus.heldOut.length,
    heldOutFraction: JOURNAL_HELD_OUT_FRACTION,
  };
  if (task === emotionTask) {
    let bestRatio: number = SECOND_EMOTION_RATIO_GRID[0];
    let bestSetF1 = -1;
    for (const ratio of SECOND_EMOTION_RATIO_GRID) {
      const score = setF1(
        validation.map((p) => p.emotions),
        bestValidationRows.map((row) => feltEmotions(scoreRows(task.labels, row), ratio)),
      );
      if (score > bestSetF1) {
        bestSetF1 = score;
        bestRatio = ratio;
      }
    }
    metadata.second_emotion_ratio = String(bestRatio);
    metrics.secondEmotionRatio = bestRatio;
    metrics.validationSetF1 = bestSetF1;
  }

  ctx.progress.update(2, 4, "training on the whole training split");
  const model = fit(task, corpus.train, vectors, bestLambda);
  const bytes = appendSoftmaxHead(modelBytes, {
    embeddingOutput: USE_LITE_OUTPUT,
    labels: task.labels,
    weights: Float32Array.from(model.weights),
    bias: Float32Array.from(model.bias),
    metadata,
    docString: `Softmax regression over Universal Sentence Encoder lite embeddings, trained on Inkwell's hand-labelled journal corpus (${corpus.train.length} training passages).`,
  });
  await writeFile(path.join(ctx.outDir, "model.onnx"), bytes);
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) {
    await copyFile(path.join(encoderDir, file), path.join(ctx.outDir, file));
  }

  ctx.progress.update(3, 4, "checking the exported model and scoring the held-out split");
  const heldOutRows = predict(model, corpus.heldOut, vectors);
  // The exported file must compute what the fitted head computes: run it on a sample of held-out texts.
  const sample = corpus.heldOut.slice(0, EXPORT_CHECK_SAMPLE);
  const exported = await runTextModel(
    bytes,
    encoder,
    sample.map((p) => p.text),
    HEAD_OUTPUT,
    1,
  );
  let exportError = 0;
  exported.forEach((row, i) => {
    row.forEach((value, k) => {
      exportError = Math.max(exportError, Math.abs(value - (heldOutRows[i]?.[k] as number)));
    });
  });
  if (exportError > 1e-4) {
    throw new Error(`the exported head disagrees with the fitted one by ${exportError.toExponential(2)}`);
  }
  metrics.exportMaxError = exportError;
  const figures = classificationFigures(
    task.labels,
    corpus.heldOut.map((p) => task.primary(p)),
    heldOutRows.map((row) => argmaxLabel(task.labels, row)),
  );
  metrics.heldOutMacroF1 = figures.macroF1;
  metrics.heldOutAccuracy = figures.accuracy;
  for (const [label, f] of Object.entries(figures.perClass)) metrics[`heldOutF1.${label}`] = f.f1;
  ctx.log(
    `held-out macro-F1 ${figures.macroF1.toFixed(3)}, accuracy ${figures.accuracy.toFixed(3)} on ${corpus.heldOut.length} passages (lambda ${bestLambda}, validation macro-F1 ${bestScore.toFixed(3)})`,
  );
  ctx.progress.update(4, 4, "done");
  return { metrics };
}

function headInputsHash(task: HeadTask): () => Promise<string> {
  return async () =>
    await hashInputs(
      [
        new URL(import.meta.url),
        new URL("./journal-corpus.ts", import.meta.url),
        new URL("./softmax-regression.ts", import.meta.url),
        new URL("./encoder-head-graph.ts", import.meta.url),
        new URL("./classification-metrics.ts", import.meta.url),
        new URL("./emotion-prototypes.ts", import.meta.url),
        new URL("../token-encoder.ts", import.meta.url),
      ],
      [
        task.id,
        await useLiteInputsHash(),
        await journalCorpusFingerprint(),
        HEAD_LAMBDA_GRID,
        VALIDATION_FRACTION,
        SECOND_EMOTION_TARGET,
        SECOND_EMOTION_RATIO_GRID,
        HEAD_MAX_LENGTH,
      ],
    );
}

export const sentimentHeadBuilder: OfflineBuilder = {
  id: SENTIMENT_HEAD_ID,
  dependsOn: [USE_LITE_MODEL_ID],
  inputsHash: headInputsHash(sentimentTask),
  build: (ctx) => buildHead(sentimentTask, ctx),
};

export const emotionHeadBuilder: OfflineBuilder = {
  id: EMOTION_HEAD_ID,
  dependsOn: [USE_LITE_MODEL_ID],
  inputsHash: headInputsHash(emotionTask),
  build: (ctx) => buildHead(emotionTask, ctx),
};
