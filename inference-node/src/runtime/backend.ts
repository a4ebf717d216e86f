import type { ModelTask } from "@inkwell/shared";

export interface LabelScore {
  label: string;
  score: number;
}

export interface BackendHealth {
  ok: boolean;
  detail?: string;
}

/** What the node reports about a model it serves (in /info and heartbeats). */
export interface LoadedModel {
  id: string;
  task: Exclude<ModelTask, "llm">;
  /** Where it actually runs, after any fallback. */
  device: "cuda" | "cpu";
  executionProvider: string;
  dims?: number;
  labels?: string[];
  maxLength: number;
  loadMs: number;
}

/**
 * One interface for every model the node runs, whatever sits behind it (an ONNX session on CUDA or CPU
 * today; another runtime later). Inputs arrive already tokenised so the batcher can group by length.
 * A backend implements the operation of its task; the other one rejects.
 */
export interface InferenceBackend {
  readonly model: LoadedModel;
  /** Largest batch worth sending at once; the batcher never exceeds it. */
  readonly maxBatchSize: number;
  /** Token ids of one text, truncated to the model's window. */
  encode(text: string): number[];
  embed(batch: readonly number[][]): Promise<Float32Array[]>;
  classify(batch: readonly number[][]): Promise<LabelScore[][]>;
  health(): BackendHealth;
  close(): Promise<void>;
}
