import type { InferenceBackend, LabelScore, LoadedModel } from "../../src/runtime/backend.ts";
import { type BatchingOptions, createRuntime, type InferenceRuntime } from "../../src/runtime/runtime.ts";

/** A promise with its resolve handle: tests hold a batch open with it instead of sleeping. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A backend whose outputs are a pure function of the input (an embedding of [tokens, sum of ids]), so each
 * caller's answer can be checked; `gate` holds every model call until released.
 */
export class FakeBackend implements InferenceBackend {
  readonly model: LoadedModel;
  readonly maxBatchSize: number;
  readonly batches: number[][][] = [];
  gate: Promise<void> | undefined;
  private callWaiters: (() => void)[] = [];

  /** Resolves when the next model call starts. */
  nextCall(): Promise<void> {
    return new Promise((resolve) => this.callWaiters.push(resolve));
  }

  private called(): void {
    for (const resolve of this.callWaiters.splice(0)) resolve();
  }

  constructor(id: string, task: LoadedModel["task"], maxBatchSize = 64) {
    this.model = {
      id,
      task,
      device: "cpu",
      executionProvider: "CPUExecutionProvider",
      ...(task === "embedding"
        ? { dims: 2 }
        : { labels: task === "sentiment" ? ["negative", "positive"] : ["joy", "sadness"] }),
      maxLength: 512,
      loadMs: 0,
    };
    this.maxBatchSize = maxBatchSize;
  }

  encode(text: string): number[] {
    return text
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => word.length);
  }

  async embed(batch: readonly number[][]): Promise<Float32Array[]> {
    this.batches.push([...batch]);
    this.called();
    await this.gate;
    return batch.map((ids) => new Float32Array([ids.length, ids.reduce((a, b) => a + b, 0)]));
  }

  async classify(batch: readonly number[][]): Promise<LabelScore[][]> {
    this.batches.push([...batch]);
    this.called();
    await this.gate;
    const labels = this.model.labels ?? [];
    return batch.map(() => labels.map((label, i) => ({ label, score: i === 0 ? 0.25 : 0.75 })));
  }

  health() {
    return { ok: true };
  }

  async close(): Promise<void> {}
}

export const defaultBatching: BatchingOptions = {
  maxBatchSize: 16,
  maxBatchTokens: 4096,
  maxWaitMs: 1,
  queueCapacity: 256,
};

export function fakeRuntime(batching: Partial<BatchingOptions> = {}): InferenceRuntime & {
  backends: { embedding: FakeBackend; sentiment: FakeBackend; emotion: FakeBackend };
} {
  const backends = {
    embedding: new FakeBackend("fake-embed", "embedding"),
    sentiment: new FakeBackend("fake-sentiment", "sentiment"),
    emotion: new FakeBackend("fake-emotion", "emotion"),
  };
  return Object.assign(createRuntime(backends, { ...defaultBatching, ...batching }), { backends });
}
