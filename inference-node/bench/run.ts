import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { loadManifest, type OnnxModelEntry } from "@inkwell/models/manifest";
import { defaultModelsDir } from "@inkwell/models/paths";
import { analyzeEntryResultSchema } from "@inkwell/shared";
import { buildApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { detectHardware } from "../src/hardware.ts";
import { OnnxBackend } from "../src/runtime/onnx-backend.ts";
import { createRuntime, type InferenceRuntime } from "../src/runtime/runtime.ts";
import { signLikeQstash } from "../test/helpers/qstash-signer.ts";

/**
 * `npm run bench`: one run against the same built model, written to bench/results/<time>.json and printed.
 *   1. embeddings/s with dynamic batching vs one request at a time, at concurrency 1, 8 and 64;
 *   2. this node's runtime vs Transformers.js's feature-extraction pipeline on the same ONNX file;
 *   3. analyze-entry p50/p99 for 200-word entries, and the node's RSS once it is ready.
 */

const nodeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(nodeDir, "..");
const EMBED_MODEL = "inkwell-static-embed-100d";
const silent = { info() {}, warn() {} };

const WORDS =
  "today morning work walk friend coffee rain tired happy worried meeting family dinner music park book call sleep anxious grateful garden train project deadline sister laugh quiet evening plan hope run kitchen letter".split(
    " ",
  );

/** Journal-like texts of varied length, from a fixed seed so every run measures the same work. */
function texts(count: number, minWords: number, maxWords: number, seed = 7): string[] {
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: count }, () => {
    const n = minWords + Math.floor(random() * (maxWords - minWords + 1));
    const words = Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)] as string);
    return `I ${words.join(" ")}.`;
  });
}

async function throughput(runtime: InferenceRuntime, inputs: string[], concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < inputs.length) {
        const text = inputs[next++] as string;
        await runtime.embed([text]);
      }
    }),
  );
  return inputs.length / ((performance.now() - started) / 1000);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function transformersBaseline(
  entry: OnnxModelEntry,
  modelsDir: string,
  inputs: string[],
  ours: InferenceRuntime,
) {
  const dir = await mkdtemp(path.join(tmpdir(), "inkwell-bench-"));
  try {
    // Transformers.js expects the Hub layout: onnx/model.onnx, tokenizer files and a config.json.
    const source = path.join(modelsDir, entry.id);
    const target = path.join(dir, "inkwell", EMBED_MODEL);
    await mkdir(path.join(target, "onnx"), { recursive: true });
    await symlink(path.join(source, "model.onnx"), path.join(target, "onnx", "model.onnx"));
    await symlink(path.join(source, "tokenizer.json"), path.join(target, "tokenizer.json"));
    await symlink(path.join(source, "tokenizer_config.json"), path.join(target, "tokenizer_config.json"));
    await writeFile(
      path.join(target, "config.json"),
      JSON.stringify({ model_type: "bert", hidden_size: 100 }),
    );
    const { env, pipeline } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.localModelPath = dir;
    const extractor = await pipeline("feature-extraction", `inkwell/${EMBED_MODEL}`, {
      dtype: "fp32",
      device: "cpu",
    });
    const run = async (batch: string[]) => {
      const output = await extractor(batch, { pooling: "mean", normalize: true });
      return output.tolist() as number[][];
    };
    // Same vectors? Their mean pooling over our token_embeddings output is our sentence_embedding.
    const sample = inputs.slice(0, 32);
    const theirs = await run(sample);
    const mine = (await ours.embed(sample)).vectors;
    const agreement = Math.min(
      ...theirs.map((v, i) => v.reduce((sum, x, d) => sum + x * ((mine[i] as Float32Array)[d] as number), 0)),
    );
    const measure = async (batchSize: number) => {
      const started = performance.now();
      for (let i = 0; i < inputs.length; i += batchSize) await run(inputs.slice(i, i + batchSize));
      return inputs.length / ((performance.now() - started) / 1000);
    };
    return {
      loaded: true as const,
      minCosineToOurs: agreement,
      oneAtATime: await measure(1),
      batch32: await measure(32),
    };
  } catch (error) {
    return { loaded: false as const, reason: (error as Error).message.split("\n")[0] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rssAtReady(): Promise<{ rssMiB: number; readyMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: nodeDir,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_PORT: "0",
      LOG_LEVEL: "info",
      INFERENCE_DEVICE: "auto",
      QSTASH_CURRENT_SIGNING_KEY: "sig_bench_current_key_0123456789",
      QSTASH_NEXT_SIGNING_KEY: "sig_bench_next_key_abcdefghijklmn",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (line.includes("Server listening at")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`the node exited with ${code} before listening`)));
    });
    const readyMs = performance.now() - started;
    const status = await readFile(`/proc/${child.pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { rssMiB: Math.round(kb / 1024), readyMs: Math.round(readyMs) };
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
}

export type InferenceNodeBenchResults = Awaited<ReturnType<typeof inferenceNodeBench>>;

/** Runs the three measurements; `say` gets the progress and the printed table. */
export async function inferenceNodeBench(say: (line: string) => void) {
  const manifest = loadManifest();
  const modelsDir = defaultModelsDir();
  const hardware = await detectHardware("auto");
  const threads = hardware.cpu.cores;
  say(`bench on ${hardware.cpu.model} (${threads} cores), device ${hardware.device}, model ${EMBED_MODEL}`);

  const entry = manifest.models.find((m): m is OnnxModelEntry => m.id === EMBED_MODEL && m.format === "onnx");
  if (!entry) throw new Error(`${EMBED_MODEL} is not in the manifest`);
  const load = (id: string) => {
    const model = manifest.models.find((m): m is OnnxModelEntry => m.id === id && m.format === "onnx");
    if (!model) throw new Error(`${id} is not in the manifest`);
    return OnnxBackend.load(model, {
      modelsDir,
      device: hardware.device,
      threads,
      maxBatchSize: 64,
      log: silent,
    });
  };
  const embedding = await load(EMBED_MODEL);
  const sentiment = await load("inkwell-sentiment-uci");
  const emotion = await load("inkwell-emotion-prototypes");
  const backends = { embedding, sentiment, emotion };
  const batched = createRuntime(backends, {
    maxBatchSize: 64,
    maxBatchTokens: 16_384,
    maxWaitMs: 2,
    queueCapacity: 10_000,
  });
  const unbatched = createRuntime(backends, {
    maxBatchSize: 1,
    maxBatchTokens: 16_384,
    maxWaitMs: 0,
    queueCapacity: 10_000,
  });
  await batched.warmUp();

  // 1. Dynamic batching vs one at a time.
  const inputs = texts(3000, 8, 40);
  const batching: { concurrency: number; batchedPerSec: number; unbatchedPerSec: number; speedup: number }[] =
    [];
  for (const concurrency of [1, 8, 64]) {
    const unbatchedPerSec = await throughput(unbatched, inputs, concurrency);
    const batchedPerSec = await throughput(batched, inputs, concurrency);
    batching.push({ concurrency, batchedPerSec, unbatchedPerSec, speedup: batchedPerSec / unbatchedPerSec });
  }

  // 2. Transformers.js on the same file.
  const baselineInputs = inputs.slice(0, 1000);
  const ours = {
    oneAtATime: await throughput(unbatched, baselineInputs, 1),
    batched64Callers: await throughput(batched, baselineInputs, 64),
  };
  const transformers = await transformersBaseline(entry, modelsDir, baselineInputs, batched);

  // 3. analyze-entry latency for 200-word entries, through the real app (QStash signature check included).
  const config = loadConfig({
    QSTASH_CURRENT_SIGNING_KEY: "sig_bench_current_key_0123456789",
    QSTASH_NEXT_SIGNING_KEY: "sig_bench_next_key_abcdefghijklmn",
    NODE_PUBLIC_URL: "http://node.bench:8788",
    LOG_LEVEL: "silent",
  });
  const app = await buildApp(config, { hardware, runtime: batched });
  const entries = texts(200, 200, 200, 11);
  const latencies: number[] = [];
  for (const [i, content] of entries.entries()) {
    const body = JSON.stringify({
      jobId: `j${i}`,
      entryId: `e${i}`,
      userId: "u",
      contentVersion: 1,
      content,
    });
    const signature = signLikeQstash({
      key: config.qstash.currentSigningKey,
      url: "http://node.bench:8788/jobs/analyze-entry",
      body,
    });
    const started = performance.now();
    const response = await app.inject({
      method: "POST",
      url: "/jobs/analyze-entry",
      headers: { "content-type": "application/json", "upstash-signature": signature },
      payload: body,
    });
    latencies.push(performance.now() - started);
    if (i === 0) analyzeEntryResultSchema.parse(response.json());
  }
  await app.close();
  latencies.sort((a, b) => a - b);
  const analyze = {
    entries: entries.length,
    words: 200,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
  await Promise.all([embedding.close(), sentiment.close(), emotion.close()]);

  const ready = await rssAtReady();

  const results = {
    at: new Date().toISOString(),
    machine: { cpu: hardware.cpu, device: hardware.device, node: process.version },
    model: EMBED_MODEL,
    batching,
    baseline: { texts: baselineInputs.length, ours, transformersJs: transformers },
    analyzeEntry: analyze,
    nodeAtReady: ready,
  };

  const f = (n: number) => n.toFixed(0).padStart(8);
  say("\n1. embeddings/s, dynamic batching vs one request at a time");
  say("   concurrency   batched   one-at-a-time   speed-up");
  for (const row of batching) {
    say(
      `   ${String(row.concurrency).padStart(11)} ${f(row.batchedPerSec)}  ${f(row.unbatchedPerSec)}        ${row.speedup.toFixed(2)}x`,
    );
  }
  say(`\n2. same ONNX file, ${baselineInputs.length} texts`);
  say(`   ours, one at a time            ${f(ours.oneAtATime)} /s`);
  say(`   ours, 64 callers, batched      ${f(ours.batched64Callers)} /s`);
  if (transformers.loaded) {
    say(
      `   transformers.js, 1 per call    ${f(transformers.oneAtATime)} /s  (ours ${(ours.oneAtATime / transformers.oneAtATime).toFixed(2)}x)`,
    );
    say(
      `   transformers.js, 32 per call   ${f(transformers.batch32)} /s  (ours batched ${(ours.batched64Callers / transformers.batch32).toFixed(2)}x)`,
    );
    say(`   same vectors: min cosine ${transformers.minCosineToOurs.toFixed(6)}`);
  } else {
    say(`   transformers.js could not load the model: ${transformers.reason}`);
  }
  say(
    `\n3. analyze-entry, ${analyze.entries} entries of ${analyze.words} words: p50 ${analyze.p50Ms.toFixed(2)} ms, p99 ${analyze.p99Ms.toFixed(2)} ms`,
  );
  say(`   node RSS at ready: ${ready.rssMiB} MiB (ready in ${ready.readyMs} ms)`);
  return results;
}

/** Standalone entry (`node --import tsx inference-node/bench/run.ts`): also writes bench/results/inference-node.json. */
export async function main(): Promise<number> {
  const results = await inferenceNodeBench((line) => process.stdout.write(`${line}\n`));
  const dir = path.join(repoRoot, "bench", "results");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, "inference-node.json");
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(repoRoot, file)}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
