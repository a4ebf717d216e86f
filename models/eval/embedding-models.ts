import os from "node:os";
import { OnnxBackend } from "../../inference-node/src/runtime/onnx-backend.ts";
import { type EmbeddingEntry, loadManifest, type Manifest, type ModelEntry } from "../src/manifest.ts";
import { checkModelFiles } from "../src/verify.ts";

export interface EvalEmbedder {
  id: string;
  dims: number;
  /** One L2-normalised vector per text, in input order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

function isEmbeddingModel(model: ModelEntry): model is EmbeddingEntry {
  return model.format === "onnx" && model.task === "embedding";
}

/**
 * The manifest's embedding models whose files are here and whole, best (`priority`) first: the built
 * offline ones always, a pulled transformer (MiniLM, BGE) when someone ran `npm run models -- pull`.
 */
export async function availableEmbeddingModels(
  manifest: Manifest,
  modelsDir: string,
): Promise<EmbeddingEntry[]> {
  const present: EmbeddingEntry[] = [];
  for (const model of manifest.models.filter(isEmbeddingModel)) {
    const status = await checkModelFiles(model, modelsDir, false);
    if (status.state === "ok") present.push(model);
  }
  return present.sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
}

/**
 * The present embedding models and those of them to evaluate: the named ones (an error names any that is
 * missing), or every one present when none is named.
 */
export async function chooseEmbeddingModels(
  modelsDir: string,
  ids?: readonly string[],
): Promise<{ present: EmbeddingEntry[]; chosen: EmbeddingEntry[] }> {
  const present = await availableEmbeddingModels(loadManifest(), modelsDir);
  const missing = (ids ?? []).filter((id) => !present.some((model) => model.id === id));
  if (missing.length > 0) {
    throw new Error(`embedding model(s) not present in ${modelsDir}: ${missing.join(", ")}`);
  }
  const chosen = ids ? present.filter((model) => ids.includes(model.id)) : present;
  if (chosen.length === 0) throw new Error(`no embedding model is present in ${modelsDir}`);
  return { present, chosen };
}

/**
 * Loads a model through the node's own backend (file verification, tokenizer, session options, pooling,
 * normalisation), so the evaluation measures exactly the vectors a node would store in Chroma.
 */
export async function loadEvalEmbedder(
  model: EmbeddingEntry,
  modelsDir: string,
  log: (line: string) => void,
): Promise<EvalEmbedder> {
  const batchSize = 16;
  const backend = await OnnxBackend.load(model, {
    modelsDir,
    device: "cpu",
    threads: Math.max(1, os.availableParallelism()),
    maxBatchSize: batchSize,
    log: {
      info: () => {},
      warn: (obj, msg) => log(`${model.id}: ${msg} ${JSON.stringify(obj)}`),
    },
  });
  return {
    id: model.id,
    dims: model.output.dims,
    async embed(texts) {
      const encoded = texts.map((text, index) => ({ index, ids: backend.encode(text) }));
      // Like the node's batcher: similar lengths together, so short texts are not padded to long ones.
      const order = [...encoded].sort((a, b) => a.ids.length - b.ids.length);
      const out = new Array<Float32Array>(texts.length);
      for (let start = 0; start < order.length; start += batchSize) {
        const batch = order.slice(start, start + batchSize);
        const vectors = await backend.embed(batch.map((item) => item.ids));
        batch.forEach((item, i) => {
          const vector = vectors[i];
          if (!vector) throw new Error(`${model.id} returned fewer vectors than texts`);
          out[item.index] = vector;
        });
      }
      return out;
    },
    close: () => backend.close(),
  };
}
