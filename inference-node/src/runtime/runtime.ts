import type { HardwareTier, Manifest, OnnxModelEntry } from "@inkwell/models/manifest";
import { type LocatedModel, locateModel } from "@inkwell/models/verify";
import type { NodeLoad } from "@inkwell/shared";
import type { InferenceBackend, LabelScore, LoadedModel } from "./backend.ts";
import { Batcher, type BatcherOptions, type BatchStats, type Timing } from "./batcher.ts";
import { measureCapability } from "./capability.ts";
import { ModelLoadError } from "./errors.ts";
import type { ProviderLogger } from "./execution-providers.ts";
import {
  type MeasureCapability,
  type ModelPins,
  type ModelSelection,
  type ServedTask,
  selectModels,
} from "./model-selection.ts";
import { OnnxBackend } from "./onnx-backend.ts";

export interface RuntimeObserver {
  batch(model: string, stats: BatchStats): void;
  error(model: string): void;
}

export interface EmbedResult {
  model: string;
  dims: number;
  vectors: Float32Array[];
  timing: Timing;
}

export interface ClassifyResult {
  model: string;
  scores: LabelScore[][];
  timing: Timing;
}

export type BatchingOptions = Omit<BatcherOptions, "maxBatchSize"> & { maxBatchSize: number };

/**
 * The models this node serves, one batcher each. Routes call `embed`/`classify`; the heartbeat and
 * /metrics read `load()`. Created once at start-up, warmed up before the node listens.
 */
export interface InferenceRuntime {
  readonly models: LoadedModel[];
  readonly selection: ModelSelection | undefined;
  embed(texts: readonly string[]): Promise<EmbedResult>;
  classify(task: "sentiment" | "emotion", texts: readonly string[]): Promise<ClassifyResult>;
  load(): NodeLoad;
  /** Health of every backend; false as soon as one fails. */
  health(): { ok: boolean; models: Record<string, { ok: boolean; detail?: string }> };
  observe(observer: RuntimeObserver): void;
  warmUp(): Promise<number>;
  close(): Promise<void>;
}

const WARM_UP_TEXT = "Warming up: today I went for a walk, felt calm, and wrote a few lines in my journal.";

function mergeTiming(timings: Timing[]): Timing {
  return {
    queueMs: Math.max(0, ...timings.map((t) => t.queueMs)),
    inferenceMs: Math.max(0, ...timings.map((t) => t.inferenceMs)),
    batchSize: Math.max(0, ...timings.map((t) => t.batchSize)),
  };
}

/** Wraps already-loaded backends (real ONNX ones, or test doubles) into a runtime. */
export function createRuntime(
  backends: Record<ServedTask, InferenceBackend>,
  batching: BatchingOptions,
  selection?: ModelSelection,
): InferenceRuntime {
  const observers: RuntimeObserver[] = [];
  const hooks = (backend: InferenceBackend) => ({
    onBatch: (stats: BatchStats) => {
      for (const o of observers) o.batch(backend.model.id, stats);
    },
    onError: () => {
      for (const o of observers) o.error(backend.model.id);
    },
  });
  const options = (backend: InferenceBackend): BatcherOptions => ({
    ...batching,
    maxBatchSize: Math.max(1, Math.min(batching.maxBatchSize, backend.maxBatchSize)),
  });
  const embedder = backends.embedding;
  const embedBatcher = new Batcher<Float32Array>(
    options(embedder),
    (batch) => embedder.embed(batch),
    hooks(embedder),
  );
  const classifiers = {
    sentiment: backends.sentiment,
    emotion: backends.emotion,
  };
  const classifyBatchers = {
    sentiment: new Batcher<LabelScore[]>(
      options(classifiers.sentiment),
      (batch) => classifiers.sentiment.classify(batch),
      hooks(classifiers.sentiment),
    ),
    emotion: new Batcher<LabelScore[]>(
      options(classifiers.emotion),
      (batch) => classifiers.emotion.classify(batch),
      hooks(classifiers.emotion),
    ),
  };
  const batchers = [embedBatcher, classifyBatchers.sentiment, classifyBatchers.emotion];
  // One backend may serve two tasks only in tests; list each model once.
  const unique = [...new Set(Object.values(backends))];

  return {
    models: unique.map((b) => b.model),
    selection,
    async embed(texts) {
      const results = await embedBatcher.submit(texts.map((t) => embedder.encode(t)));
      return {
        model: embedder.model.id,
        dims: embedder.model.dims ?? results[0]?.output.length ?? 0,
        vectors: results.map((r) => r.output),
        timing: mergeTiming(results.map((r) => r.timing)),
      };
    },
    async classify(task, texts) {
      const backend = classifiers[task];
      const results = await classifyBatchers[task].submit(texts.map((t) => backend.encode(t)));
      return {
        model: backend.model.id,
        scores: results.map((r) => r.output),
        timing: mergeTiming(results.map((r) => r.timing)),
      };
    },
    load() {
      return {
        queueDepth: batchers.reduce((sum, b) => sum + b.depth, 0),
        running: batchers.reduce((sum, b) => sum + b.inFlight, 0),
        capacity: batchers.reduce((sum, b) => sum + b.capacity, 0),
      };
    },
    health() {
      const models: Record<string, { ok: boolean; detail?: string }> = {};
      for (const backend of unique) models[backend.model.id] = backend.health();
      return { ok: Object.values(models).every((m) => m.ok), models };
    },
    observe(observer) {
      observers.push(observer);
    },
    async warmUp() {
      const started = performance.now();
      // A single row, then a full batch: the second run sizes ORT's memory arenas for real load.
      await Promise.all([
        this.embed([WARM_UP_TEXT]),
        this.classify("sentiment", [WARM_UP_TEXT]),
        this.classify("emotion", [WARM_UP_TEXT]),
      ]);
      const full = Array.from({ length: Math.min(batching.maxBatchSize, 32) }, () => WARM_UP_TEXT);
      await Promise.all([this.embed(full), this.classify("sentiment", full), this.classify("emotion", full)]);
      return Math.round(performance.now() - started);
    },
    async close() {
      for (const batcher of batchers) batcher.close();
      await Promise.all(unique.map((b) => b.close()));
    },
  };
}

export interface LoadRuntimeOptions {
  manifest: Manifest;
  /** Searched in order for each model: the pulled folder, then the built-in one (see nodeModelDirs). */
  modelDirs: readonly string[];
  tier: HardwareTier;
  device: "cuda" | "cpu";
  threads: number;
  pins?: ModelPins;
  batching: BatchingOptions;
  log: ProviderLogger;
}

/**
 * Picks the models for this machine, verifies and loads them (CUDA → CPU), and wraps them in batchers. A
 * model that needs a measured capability is loaded once to be measured, and kept if chosen.
 */
export async function loadRuntime(options: LoadRuntimeOptions): Promise<InferenceRuntime> {
  const tokenizers = new Map();
  // Each model's folder, found once: selection checks it and loading reads from the same place.
  const located = new Map<string, Promise<LocatedModel>>();
  const locate = (entry: OnnxModelEntry) => {
    let pending = located.get(entry.id);
    if (!pending) {
      pending = locateModel(entry, options.modelDirs, false);
      located.set(entry.id, pending);
    }
    return pending;
  };
  const loadBackend = async (entry: OnnxModelEntry) =>
    await OnnxBackend.load(entry, {
      modelsDir: (await locate(entry)).modelsDir,
      device: options.device,
      threads: options.threads,
      maxBatchSize: options.batching.maxBatchSize,
      log: options.log,
      tokenizers,
    });
  const measuredBackends = new Map<string, OnnxBackend>();
  const measure: MeasureCapability = async (entry) => {
    const backend = await loadBackend(entry);
    measuredBackends.set(entry.id, backend);
    const measured = await measureCapability(backend);
    options.log.info({ model: entry.id, ...measured, requires: entry.requires }, "model measured");
    return measured;
  };
  let selection: ModelSelection;
  try {
    selection = await selectModels(
      options.manifest,
      options.tier,
      options.modelDirs,
      options.pins,
      async (entry) => (await locate(entry)).status,
      measure,
    );
  } catch (error) {
    await Promise.all([...measuredBackends.values()].map((b) => b.close()));
    throw error;
  }
  for (const decision of selection.decisions) {
    options.log.info(
      {
        task: decision.task,
        model: decision.chosen,
        // Pulled or built in: which copy of the model this node runs.
        folder: (await located.get(decision.chosen))?.modelsDir,
        skipped: decision.candidates.filter((c) => c.outcome === "skipped").map((c) => `${c.id}: ${c.why}`),
      },
      "model selected",
    );
  }
  const chosenIds = new Set(selection.decisions.map((d) => d.chosen));
  // Measured but passed over: this machine cannot run it well, so it must not hold memory either.
  await Promise.all(
    [...measuredBackends].filter(([id]) => !chosenIds.has(id)).map(([, backend]) => backend.close()),
  );
  // Loaded side by side: hashing, tokenizer construction and ORT's session set-up overlap.
  const attempts = await Promise.allSettled(
    selection.decisions.map(async (decision) => {
      const entry = options.manifest.models.find(
        (m): m is OnnxModelEntry => m.id === decision.chosen && m.format === "onnx",
      );
      if (!entry) throw new ModelLoadError(`Model ${decision.chosen} vanished from the manifest`);
      const backend = measuredBackends.get(entry.id) ?? (await loadBackend(entry));
      return [decision.task, backend] as const;
    }),
  );
  const failure = attempts.find((a): a is PromiseRejectedResult => a.status === "rejected");
  if (failure) {
    await Promise.all(attempts.map((a) => (a.status === "fulfilled" ? a.value[1].close() : undefined)));
    throw failure.reason;
  }
  const backends = {} as Record<ServedTask, InferenceBackend>;
  for (const attempt of attempts) {
    if (attempt.status === "fulfilled") backends[attempt.value[0]] = attempt.value[1];
  }
  return createRuntime(backends, options.batching, selection);
}
