import { writeFile } from "node:fs/promises";
import path from "node:path";
import { encodeModel } from "../onnx/graph.ts";
import { EMOTION_LABELS, EMOTION_PROTOTYPES } from "./emotion-prototypes.ts";
import { hashInputs, SHARED_BUILD_SOURCES } from "./inputs-hash.ts";
import { runTextModel } from "./onnx-run.ts";
import type { OfflineBuilder } from "./registry.ts";
import { STATIC_EMBED_ID, STATIC_MAX_LENGTH, staticEmbeddingBuilder } from "./static-embedding.ts";
import { STATIC_EMBEDDING, staticClassifierGraph } from "./static-embedding-graph.ts";
import { readStaticEmbeddingBuild } from "./static-model-files.ts";

export const EMOTION_ID = "inkwell-emotion-prototypes";
/** Temperatures tried when calibrating; the best one by leave-one-out log-likelihood is kept. */
export const TEMPERATURE_GRID = Array.from({ length: 40 }, (_, i) => 0.01 * 1.12 ** i);

const dot = (a: Float32Array, b: Float32Array) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
};

function normalised(vectors: readonly Float32Array[], dims: number): Float32Array {
  const out = new Float32Array(dims);
  for (const v of vectors) for (let d = 0; d < dims; d++) out[d] = (out[d] as number) + (v[d] as number);
  const norm = Math.hypot(...out) || 1;
  for (let d = 0; d < dims; d++) out[d] = (out[d] as number) / norm;
  return out;
}

function logSoftmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const sum = logits.reduce((acc, z) => acc + Math.exp(z - max), 0);
  return logits.map((z) => z - max - Math.log(sum));
}

export const emotionClassifierBuilder: OfflineBuilder = {
  id: EMOTION_ID,
  dependsOn: [STATIC_EMBED_ID],
  async inputsHash() {
    return await hashInputs(
      [
        ...SHARED_BUILD_SOURCES,
        new URL(import.meta.url),
        new URL("./emotion-prototypes.ts", import.meta.url),
        new URL("./static-model-files.ts", import.meta.url),
      ],
      [await staticEmbeddingBuilder.inputsHash(), TEMPERATURE_GRID],
    );
  },
  async build(ctx) {
    const embedding = await readStaticEmbeddingBuild(ctx.modelDir(STATIC_EMBED_ID), STATIC_MAX_LENGTH);
    const dims = embedding.params.dims;
    ctx.progress.update(0, 3, "embedding the prototypes");
    const examples = EMOTION_LABELS.flatMap((label, labelIndex) =>
      EMOTION_PROTOTYPES[label].map((text) => ({ text, labelIndex })),
    );
    const vectors = await runTextModel(
      embedding.modelBytes,
      embedding.encoder,
      examples.map((e) => e.text),
      STATIC_EMBEDDING.sentenceEmbedding,
    );
    const byLabel = EMOTION_LABELS.map((_, l) => vectors.filter((_, i) => examples[i]?.labelIndex === l));
    const centroids = byLabel.map((group) => normalised(group, dims));
    // How close each label's centroid sits to prototypes in general: a label near everything would
    // otherwise win on any text.
    const bias = centroids.map((c) => vectors.reduce((acc, v) => acc + dot(v, c), 0) / vectors.length);

    ctx.progress.update(1, 3, "calibrating the temperature");
    // Leave-one-out: each prototype is scored against centroids built without it, like an unseen text.
    const looSimilarities = vectors.map((v, i) => {
      const own = examples[i]?.labelIndex as number;
      return centroids.map((c, l) => {
        if (l !== own) return dot(v, c) - (bias[l] as number);
        const others = (byLabel[l] as Float32Array[]).filter((other) => other !== v);
        return dot(v, normalised(others, dims)) - (bias[l] as number);
      });
    });
    let bestTemperature = TEMPERATURE_GRID[0] as number;
    let bestLoss = Number.POSITIVE_INFINITY;
    for (const temperature of TEMPERATURE_GRID) {
      const loss = looSimilarities.reduce((acc, sims, i) => {
        const logp = logSoftmax(sims.map((s) => s / temperature));
        return acc - (logp[examples[i]?.labelIndex as number] as number);
      }, 0);
      if (loss < bestLoss) {
        bestLoss = loss;
        bestTemperature = temperature;
      }
    }
    const looCorrect = looSimilarities.filter(
      (sims, i) => sims.indexOf(Math.max(...sims)) === examples[i]?.labelIndex,
    ).length;

    ctx.progress.update(2, 3, "writing model.onnx");
    const labels = EMOTION_LABELS.length;
    const centroidMatrix = new Float32Array(dims * labels);
    centroids.forEach((c, l) => {
      for (let d = 0; d < dims; d++) centroidMatrix[d * labels + l] = c[d] as number;
    });
    const graph = staticClassifierGraph(
      EMOTION_ID,
      embedding.params,
      {
        labels: EMOTION_LABELS,
        nodes: [
          {
            op: "MatMul",
            inputs: [STATIC_EMBEDDING.sentenceEmbedding, "emotion_centroids"],
            outputs: ["emotion_similarity"],
          },
          { op: "Sub", inputs: ["emotion_similarity", "emotion_bias"], outputs: ["emotion_relative"] },
          {
            op: "Mul",
            inputs: ["emotion_relative", "emotion_inverse_temperature"],
            outputs: ["emotion_logits"],
          },
          { op: "Softmax", inputs: ["emotion_logits"], outputs: ["probabilities"], attributes: { axis: 1 } },
        ],
        initializers: [
          { name: "emotion_centroids", dims: [dims, labels], data: centroidMatrix },
          { name: "emotion_bias", dims: [labels], data: Float32Array.from(bias) },
          { name: "emotion_inverse_temperature", dims: [], data: new Float32Array([1 / bestTemperature]) },
        ],
      },
      { model_id: EMOTION_ID, temperature: String(bestTemperature) },
    );
    await writeFile(
      path.join(ctx.outDir, "model.onnx"),
      encodeModel({
        ...graph,
        docString: "Zero-shot emotions: similarity to Inkwell's prototype sentences, temperature-calibrated.",
      }),
    );
    await embedding.copyTokenizer(ctx.outDir);
    ctx.log(
      `temperature ${bestTemperature.toFixed(3)}, leave-one-out accuracy ${looCorrect}/${examples.length}`,
    );
    ctx.progress.update(3, 3, "done");
    return {
      metrics: {
        temperature: bestTemperature,
        leaveOneOutAccuracy: looCorrect / examples.length,
        prototypes: examples.length,
      },
    };
  },
};
