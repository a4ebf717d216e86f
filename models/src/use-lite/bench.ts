/// <reference types="node" />
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildUseLiteOnnx } from "./build.ts";
import {
  JOURNAL_SENTENCES,
  RETRIEVAL_DOCS,
  RETRIEVAL_QUERIES,
  SIMILAR_PAIRS,
  UNRELATED_PAIRS,
} from "./eval-data.ts";
import { cosine, loadOnnxEmbedder, type OnnxEmbedder } from "./onnx-embedder.ts";
import { loadUseLiteReference } from "./reference.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const RESULTS_FILE = join(repoRoot, "bench/results/use-lite.json");
/** The offline word-vector model built by `npm run models -- build-offline`, compared when present. */
const STATIC_MODEL_ID = "inkwell-static-embed-100d";
const BATCH = 16;
const ROUNDS = 3;

interface Throughput {
  readonly embeddingsPerSecond: number;
  /** Median wall time of one call (one sentence, or one batch of 16), tokenisation included. */
  readonly p50Ms: number;
}

interface Separation {
  readonly similarMean: number;
  readonly unrelatedMean: number;
  /** similar minus unrelated: how far apart the model puts the two kinds of pair. */
  readonly gap: number;
  /**
   * Share of (similar, unrelated) pair combinations where the similar pair scores higher: scale-free,
   * so models whose cosines live in different ranges compare fairly.
   */
  readonly pairAuc: number;
  /** Share of retrieval queries whose intended document ranks first among the pool. */
  readonly retrievalTop1: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Times `run` over `texts` in chunks of `size`, ROUNDS times over, after one untimed warm-up chunk: on a
 * small shared machine a single pass is too noisy to compare.
 */
async function measure(
  texts: readonly string[],
  size: number,
  run: (chunk: string[]) => Promise<unknown>,
): Promise<Throughput> {
  await run(texts.slice(0, size));
  const latencies: number[] = [];
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < texts.length; i += size) {
      const t0 = performance.now();
      await run(texts.slice(i, i + size));
      latencies.push(performance.now() - t0);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    embeddingsPerSecond: round((texts.length * ROUNDS) / seconds, 1),
    p50Ms: round(median(latencies), 2),
  };
}

async function separation(embed: (texts: string[]) => Promise<ArrayLike<number>[]>): Promise<Separation> {
  const pairCosines = async (pairs: readonly (readonly [string, string])[]) => {
    const left = await embed(pairs.map(([a]) => a));
    const right = await embed(pairs.map(([, b]) => b));
    return pairs.map((_, i) => cosine(left[i] ?? [], right[i] ?? []));
  };
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const similar = await pairCosines(SIMILAR_PAIRS);
  const unrelated = await pairCosines(UNRELATED_PAIRS);
  let wins = 0;
  for (const s of similar) for (const u of unrelated) wins += s > u ? 1 : s === u ? 0.5 : 0;

  const docs = await embed([...RETRIEVAL_DOCS]);
  const queries = await embed(RETRIEVAL_QUERIES.map((q) => q.query));
  const top1 = RETRIEVAL_QUERIES.filter((q, i) => {
    const scores = docs.map((d) => cosine(queries[i] ?? [], d));
    return scores.indexOf(Math.max(...scores)) === q.relevant;
  }).length;

  return {
    similarMean: round(mean(similar), 4),
    unrelatedMean: round(mean(unrelated), 4),
    gap: round(mean(similar) - mean(unrelated), 4),
    pairAuc: round(wins / (similar.length * unrelated.length), 4),
    retrievalTop1: round(top1 / RETRIEVAL_QUERIES.length, 2),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function modelsDir(): string {
  const configured = process.env.MODELS_DIR?.trim();
  return configured ? resolve(configured) : resolve(here, "../../build");
}

/**
 * USE-lite as ONNX (onnxruntime-node, CPU) against the package's own TF.js pipeline on the same
 * sentences, single and batched, plus how well it separates similar from unrelated pairs next to the
 * static word-vector model. Writes `bench/results/use-lite.json` and prints a table.
 */
export async function runUseLiteBench(options: { readonly resultsFile?: string } = {}) {
  const work = await mkdtemp(join(tmpdir(), "use-lite-bench-"));
  let onnx: OnnxEmbedder | undefined;
  let staticModel: OnnxEmbedder | undefined;
  try {
    const build = await buildUseLiteOnnx(work);
    onnx = await loadOnnxEmbedder(work);
    const reference = await loadUseLiteReference();
    const texts = [...JOURNAL_SENTENCES];
    const useLite = onnx;

    const throughput = {
      onnxSingle: await measure(texts, 1, (c) => useLite.embed(c)),
      onnxBatch16: await measure(texts, BATCH, (c) => useLite.embed(c)),
      tfjsSingle: await measure(texts, 1, (c) => reference.embed(c)),
      tfjsBatch16: await measure(texts, BATCH, (c) => reference.embed(c)),
    };

    const staticDir = join(modelsDir(), STATIC_MODEL_ID);
    if (existsSync(join(staticDir, "model.onnx")) && existsSync(join(staticDir, "tokenizer.json"))) {
      staticModel = await loadOnnxEmbedder(staticDir);
    }
    const staticEmbedder = staticModel;
    const separationResults = {
      useLiteOnnx: await separation((t) => useLite.embed(t)),
      useLiteTfjs: await separation((t) => reference.embed(t)),
      staticWordVectors: staticEmbedder ? await separation((t) => staticEmbedder.embed(t)) : null,
    };

    const results = {
      benchmark: "use-lite",
      machine: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: availableParallelism(),
        node: process.version,
        onnxRuntime: "onnxruntime-node 1.30 (CPU EP, default threads)",
        tfjs: "@energetic-ai/embeddings 0.2.0 (TF.js WASM backend)",
      },
      sentences: texts.length,
      rounds: ROUNDS,
      batchSize: BATCH,
      build: { millis: build.millis, modelBytes: build.modelBytes, nodes: build.nodes },
      throughput,
      speedup: {
        single: round(
          throughput.onnxSingle.embeddingsPerSecond / throughput.tfjsSingle.embeddingsPerSecond,
          2,
        ),
        batch16: round(
          throughput.onnxBatch16.embeddingsPerSecond / throughput.tfjsBatch16.embeddingsPerSecond,
          2,
        ),
      },
      separation: separationResults,
      staticModel: staticEmbedder ? STATIC_MODEL_ID : `not built (${staticDir} missing)`,
    };

    const file = options.resultsFile ?? RESULTS_FILE;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    printTable(results.throughput, separationResults);
    console.log(`build ${build.millis} ms, ${(build.modelBytes / 1e6).toFixed(1)} MB; results in ${file}`);
    return results;
  } finally {
    await onnx?.release();
    await staticModel?.release();
    await rm(work, { recursive: true, force: true });
  }
}

function printTable(
  throughput: Readonly<Record<string, Throughput>>,
  sep: Readonly<Record<string, Separation | null>>,
): void {
  console.log("\nUSE-lite throughput (tokenisation included)");
  console.table(
    Object.fromEntries(
      Object.entries(throughput).map(([k, v]) => [
        k,
        { "embeddings/s": v.embeddingsPerSecond, "p50 ms/call": v.p50Ms },
      ]),
    ),
  );
  console.log("Similar vs unrelated pairs (mean cosine), pair AUC, retrieval top-1");
  console.table(
    Object.fromEntries(
      Object.entries(sep).map(([k, v]) => [
        k,
        v
          ? {
              similar: v.similarMean,
              unrelated: v.unrelatedMean,
              gap: v.gap,
              "pair AUC": v.pairAuc,
              "retrieval top-1": v.retrievalTop1,
            }
          : { similar: "n/a" },
      ]),
    ),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runUseLiteBench();
}
