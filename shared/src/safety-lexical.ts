import { z } from "zod";
import weights from "./safety-lexical.weights.json" with { type: "json" };

/**
 * The lexical reader of the crisis assessment: a logistic model over hashed words, word pairs and
 * character n-grams of the whole text, trained on the project's crisis set (`models/eval/crisis-lexical.ts`).
 * It needs no model files, so the edge runs it too when no node answers. Character n-grams make it robust
 * to the way people write at their worst: lower case, no punctuation, missing apostrophes and typos.
 */

/** Buckets of the hashed feature space; the trained weights are stored sparsely over it. */
export const LEXICAL_DIMS = 1 << 15;

/** About eight words' worth of features: a text shorter than that weighs as little as its length says. */
const MIN_FEATURES = 80;

export interface LexicalModel {
  dims: number;
  bias: number;
  /** Bucket indices with a non-zero weight, ascending, and their weights. */
  indices: readonly number[];
  values: readonly number[];
  /** The text reads as high or critical risk from this probability up. */
  threshold: number;
}

const lexicalModelSchema = z
  .object({
    dims: z.number().int().positive(),
    bias: z.number(),
    threshold: z.number().gt(0).lte(1.01),
    indices: z.array(z.number().int().nonnegative()),
    values: z.array(z.number()),
  })
  .refine((m) => m.indices.length === m.values.length, "indices and values differ in length")
  .refine((m) => m.indices.every((i) => i < m.dims), "an index lies outside the feature space");

/**
 * The shipped model: written by `cd models && ../node_modules/.bin/tsx eval/crisis-lexical.ts` from the crisis
 * set's training split.
 */
export const LEXICAL_MODEL: LexicalModel = lexicalModelSchema.parse(weights);

/** FNV-1a over UTF-16 code units: stable across runtimes, cheap, good enough spread for hashing tricks. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Lower case, apostrophes dropped ("don't" and "dont" read alike), anything but letters and digits a space. */
export function lexicalTokens(text: string): string[] {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/['\u2018\u2019`]/g, "")
    .replace(/\d+/g, " 0 ")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .split(" ")
    .filter((t) => t.length > 0);
}

/**
 * The text's features: each word, each pair of neighbouring words and each character 3- and 4-gram of a
 * word with its boundaries, hashed into {@link LEXICAL_DIMS} buckets, present or not, then L2-normalised
 * (short texts scaled down, see {@link MIN_FEATURES}).
 */
export function lexicalFeatures(text: string, dims: number = LEXICAL_DIMS): Map<number, number> {
  const tokens = lexicalTokens(text);
  const buckets = new Set<number>();
  const add = (feature: string) => buckets.add(hash(feature) % dims);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    add(`w:${token}`);
    if (i + 1 < tokens.length) add(`b:${token} ${tokens[i + 1]}`);
    const padded = ` ${token} `;
    for (const n of [3, 4]) {
      for (let j = 0; j + n <= padded.length; j++) add(`c:${padded.slice(j, j + n)}`);
    }
  }
  // Scaled as if the text had at least MIN_FEATURES features: a few words must not weigh as much as a page.
  const value = 1 / Math.sqrt(Math.max(buckets.size, MIN_FEATURES));
  return new Map([...buckets].map((b) => [b, value]));
}

/** The model's probability that the text reads as high or critical risk. */
export function lexicalProbability(model: LexicalModel, text: string): number {
  return lexicalProbabilityOf(model, lexicalFeatures(text, model.dims));
}

let dense: { model: LexicalModel; weights: Float32Array } | undefined;

/** The probability for features already computed (the trainer scores the same features many times). */
export function lexicalProbabilityOf(model: LexicalModel, features: ReadonlyMap<number, number>): number {
  if (dense?.model !== model) {
    const weights = new Float32Array(model.dims);
    model.indices.forEach((index, i) => {
      weights[index] = model.values[i] as number;
    });
    dense = { model, weights };
  }
  let z = model.bias;
  for (const [index, value] of features) z += (dense.weights[index] as number) * value;
  return 1 / (1 + Math.exp(-z));
}
