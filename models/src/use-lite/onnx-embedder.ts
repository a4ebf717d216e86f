/// <reference types="node" />
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";

/**
 * A minimal embedder for a transformer-style ONNX export (input_ids/attention_mask -> sentence_embedding)
 * with a `tokenizer.json` beside it. It exists for the tests and the benchmark, which must run without the
 * inference node; it pads each batch to its longest sequence the same way the node's runtime does.
 */
export interface OnnxEmbedder {
  readonly tokenizer: Tokenizer;
  tokenize(text: string): number[];
  /** Runs one batch, padding with the tokenizer's pad id and attention_mask 0. */
  embedIds(batch: readonly (readonly number[])[], padTo?: number): Promise<Float32Array[]>;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

type TokenizerJson = ConstructorParameters<typeof Tokenizer>[0];
type TokenizerConfig = ConstructorParameters<typeof Tokenizer>[1];

export async function loadTokenizerJson(dir: string): Promise<{ tokenizer: Tokenizer; padToken?: string }> {
  const json: unknown = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"));
  let config: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"));
    if (typeof parsed === "object" && parsed !== null) config = parsed as Record<string, unknown>;
  } catch {
    // tokenizer_config.json is optional; tokenizers.js only needs an object.
  }
  // tokenizers.js validates the JSON itself when it builds the pipeline.
  const tokenizer = new Tokenizer(json as TokenizerJson, config as TokenizerConfig);
  return typeof config.pad_token === "string" ? { tokenizer, padToken: config.pad_token } : { tokenizer };
}

export interface LoadOnnxEmbedderOptions {
  readonly modelFile?: string;
  readonly outputName?: string;
  readonly padId?: number;
  readonly intraOpNumThreads?: number;
}

export async function loadOnnxEmbedder(
  dir: string,
  options: LoadOnnxEmbedderOptions = {},
): Promise<OnnxEmbedder> {
  const { tokenizer, padToken } = await loadTokenizerJson(dir);
  const session = await ort.InferenceSession.create(join(dir, options.modelFile ?? "model.onnx"), {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  });
  const outputName = options.outputName ?? "sentence_embedding";
  const padId = BigInt(options.padId ?? (padToken ? tokenizer.token_to_id(padToken) : undefined) ?? 0);
  const wantsTokenTypes = session.inputNames.includes("token_type_ids");

  const tokenize = (text: string): number[] => tokenizer.encode(text).ids;

  const embedIds = async (batch: readonly (readonly number[])[], padTo = 0): Promise<Float32Array[]> => {
    if (batch.length === 0) return [];
    // At least one column: a batch of empty strings still needs a [batch, 1] tensor.
    const seq = Math.max(1, padTo, ...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(batch.length * seq).fill(padId);
    const mask = new BigInt64Array(batch.length * seq);
    batch.forEach((row, r) => {
      row.forEach((id, c) => {
        ids[r * seq + c] = BigInt(id);
        mask[r * seq + c] = 1n;
      });
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", ids, [batch.length, seq]),
      attention_mask: new ort.Tensor("int64", mask, [batch.length, seq]),
    };
    if (wantsTokenTypes) {
      feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(batch.length * seq), [
        batch.length,
        seq,
      ]);
    }
    const result = await session.run(feeds);
    const out = result[outputName];
    if (out?.type !== "float32") throw new Error(`model has no float output ${outputName}`);
    const data = out.data as Float32Array;
    const dim = data.length / batch.length;
    return batch.map((_, r) => data.slice(r * dim, (r + 1) * dim));
  };

  return {
    tokenizer,
    tokenize,
    embedIds,
    embed: (texts) => embedIds(texts.map(tokenize)),
    release: () => session.release(),
  };
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
