import { stat } from "node:fs/promises";
import path from "node:path";
import { MODEL_RECORD_FILE, readModelRecord, sha256File } from "@inkwell/models/files";
import type { OnnxModelEntry } from "@inkwell/models/manifest";
import { TokenEncoder } from "@inkwell/models/token-encoder";
import { InkwellError } from "@inkwell/shared";
import * as ort from "onnxruntime-node";
import type { BackendHealth, InferenceBackend, LabelScore, LoadedModel } from "./backend.ts";
import { ModelLoadError } from "./errors.ts";
import { createSessionWithFallback, type ProviderLogger } from "./execution-providers.ts";

export interface OnnxBackendOptions {
  modelsDir: string;
  device: "cuda" | "cpu";
  threads: number;
  maxBatchSize: number;
  log: ProviderLogger;
  /**
   * Tokenizers already built during this start-up, by file hash: Inkwell's built models share one 100k-word
   * tokenizer, which takes most of a second to construct.
   */
  tokenizers?: Map<string, Promise<TokenEncoder>>;
}

function fixHint(model: OnnxModelEntry): string {
  return model.source === "offline-build"
    ? "run `npm run models -- build-offline` (or `npm test` / `npm run dev`, which build it)"
    : `run \`npm run models -- pull ${model.id}\``;
}

/**
 * Every file the manifest lists must be present and match its pinned SHA-256, or the one recorded when it
 * was built or first pulled. Checked before loading, so a truncated or swapped file is named at start-up
 * instead of failing (or silently misbehaving) on the first request.
 */
async function verifyFiles(model: OnnxModelEntry, dir: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  const record = await readModelRecord(path.join(dir, MODEL_RECORD_FILE));
  for (const file of model.files) {
    const full = path.join(dir, file.path);
    try {
      await stat(full);
    } catch {
      throw new ModelLoadError(`Model file ${full} is missing (${model.id}); ${fixHint(model)}.`);
    }
    const pinned = "sha256" in file ? file.sha256 : null;
    const expected = pinned ?? record?.files[file.path]?.sha256;
    if (!expected) {
      throw new ModelLoadError(
        `Model file ${full} has no known checksum (${path.join(dir, MODEL_RECORD_FILE)} is missing or incomplete); ${fixHint(model)}.`,
      );
    }
    const actual = await sha256File(full);
    if (actual !== expected) {
      throw new ModelLoadError(
        `Model file ${full} is corrupt: its SHA-256 is ${actual}, expected ${expected} (${model.id}); ${fixHint(model)}.`,
      );
    }
    hashes.set(file.path, actual);
  }
  return hashes;
}

function softmax(row: Float32Array): number[] {
  const max = Math.max(...row);
  const exps = Array.from(row, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

/** A model from the manifest run by onnxruntime-node: Inkwell's built models and real transformer exports alike. */
export class OnnxBackend implements InferenceBackend {
  readonly model: LoadedModel;
  readonly maxBatchSize: number;
  private readonly entry: OnnxModelEntry;
  private readonly session: ort.InferenceSession;
  private readonly encoder: TokenEncoder;
  private readonly wantsTokenTypes: boolean;
  private failures = 0;
  private lastError: string | undefined;

  private constructor(
    entry: OnnxModelEntry,
    session: ort.InferenceSession,
    encoder: TokenEncoder,
    model: LoadedModel,
    maxBatchSize: number,
  ) {
    this.entry = entry;
    this.session = session;
    this.encoder = encoder;
    this.model = model;
    this.maxBatchSize = maxBatchSize;
    this.wantsTokenTypes = session.inputNames.includes("token_type_ids");
  }

  static async load(entry: OnnxModelEntry, options: OnnxBackendOptions): Promise<OnnxBackend> {
    const started = performance.now();
    const dir = path.join(options.modelsDir, entry.id);
    const hashes = await verifyFiles(entry, dir);
    const modelFile = path.join(dir, "model.onnx");
    let encoder: TokenEncoder;
    try {
      const configFile = entry.tokenizer.configFile;
      const key = [
        hashes.get(entry.tokenizer.file),
        configFile ? hashes.get(configFile) : "-",
        entry.tokenizer.maxLength,
      ].join(":");
      let pending = options.tokenizers?.get(key);
      if (!pending) {
        pending = TokenEncoder.fromFiles(
          path.join(dir, entry.tokenizer.file),
          configFile ? path.join(dir, configFile) : undefined,
          entry.tokenizer.maxLength,
        );
        options.tokenizers?.set(key, pending);
      }
      encoder = await pending;
    } catch (error) {
      throw new ModelLoadError(
        `Tokenizer ${path.join(dir, entry.tokenizer.file)} could not be loaded (${entry.id}): ${(error as Error).message}`,
      );
    }
    let choice: Awaited<ReturnType<typeof createSessionWithFallback>>;
    try {
      choice = await createSessionWithFallback(
        modelFile,
        options.device,
        options.threads,
        options.log,
        entry.id,
      );
    } catch (error) {
      const reason = (error as Error).message.split("\n")[0];
      throw new ModelLoadError(
        `Model file ${modelFile} could not be loaded by onnxruntime (${entry.id}): ${reason}`,
      );
    }
    const output = entry.output;
    if (!choice.session.outputNames.includes(output.name)) {
      await choice.session.release();
      throw new ModelLoadError(
        `Model file ${modelFile} has no output "${output.name}" (it has ${choice.session.outputNames.join(", ")}); the manifest entry ${entry.id} does not match the file.`,
      );
    }
    const model: LoadedModel = {
      id: entry.id,
      task: entry.task,
      device: choice.provider,
      executionProvider: choice.provider === "cuda" ? "CUDAExecutionProvider" : "CPUExecutionProvider",
      ...(output.kind === "embedding" ? { dims: output.dims } : { labels: [...output.labels] }),
      maxLength: entry.tokenizer.maxLength,
      loadMs: Math.round(performance.now() - started),
    };
    options.log.info({ model: entry.id, provider: choice.provider, loadMs: model.loadMs }, "model loaded");
    return new OnnxBackend(entry, choice.session, encoder, model, options.maxBatchSize);
  }

  encode(text: string): number[] {
    return this.encoder.encodeIds(text);
  }

  private async run(
    batch: readonly number[][],
  ): Promise<{ data: Float32Array; dims: readonly number[]; mask: BigInt64Array; seq: number }> {
    const encoded = this.encoder.padBatch(batch);
    const shape = [encoded.batchSize, encoded.sequenceLength];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", encoded.inputIds, shape),
      attention_mask: new ort.Tensor("int64", encoded.attentionMask, shape),
    };
    if (this.wantsTokenTypes) feeds.token_type_ids = new ort.Tensor("int64", encoded.tokenTypeIds, shape);
    const name = this.entry.output.name;
    try {
      const result = await this.session.run(feeds, [name]);
      const tensor = result[name];
      if (!tensor) throw new Error(`no ${name} in the result`);
      this.lastError = undefined;
      return {
        data: tensor.data as Float32Array,
        dims: tensor.dims,
        mask: encoded.attentionMask,
        seq: encoded.sequenceLength,
      };
    } catch (error) {
      this.failures++;
      this.lastError = (error as Error).message.split("\n")[0];
      throw new InkwellError("INTERNAL", `Model ${this.entry.id} failed to run`, { cause: error });
    }
  }

  async embed(batch: readonly number[][]): Promise<Float32Array[]> {
    const output = this.entry.output;
    if (output.kind !== "embedding")
      throw new InkwellError("INTERNAL", `${this.entry.id} is not an embedding model`);
    const { data, dims, mask, seq } = await this.run(batch);
    const width = output.dims;
    const rows: Float32Array[] = [];
    for (let b = 0; b < batch.length; b++) {
      let vector: Float32Array;
      if (dims.length === 2 || output.pooling === "none") {
        vector = data.slice(b * width, (b + 1) * width);
      } else if (output.pooling === "cls") {
        vector = data.slice(b * seq * width, b * seq * width + width);
      } else {
        vector = new Float32Array(width);
        let count = 0;
        for (let t = 0; t < seq; t++) {
          if (mask[b * seq + t] === 0n) continue;
          count++;
          const offset = (b * seq + t) * width;
          for (let d = 0; d < width; d++) vector[d] = (vector[d] as number) + (data[offset + d] as number);
        }
        for (let d = 0; d < width; d++) vector[d] = (vector[d] as number) / Math.max(1, count);
      }
      rows.push(output.normalize ? l2Normalise(vector) : vector);
    }
    return rows;
  }

  async classify(batch: readonly number[][]): Promise<LabelScore[][]> {
    const output = this.entry.output;
    if (output.kind !== "classifier")
      throw new InkwellError("INTERNAL", `${this.entry.id} is not a classifier`);
    const { data } = await this.run(batch);
    const labels = output.labels;
    return batch.map((_, b) => {
      const row = data.slice(b * labels.length, (b + 1) * labels.length);
      const scores =
        output.activation === "softmax"
          ? softmax(row)
          : output.activation === "sigmoid"
            ? Array.from(row, (v) => 1 / (1 + Math.exp(-v)))
            : Array.from(row);
      return labels.map((label, i) => ({ label, score: scores[i] as number }));
    });
  }

  health(): BackendHealth {
    return this.lastError === undefined
      ? { ok: true }
      : { ok: false, detail: `last run failed (${this.failures} failures so far): ${this.lastError}` };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
