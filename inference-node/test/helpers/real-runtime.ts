import { loadManifest } from "@inkwell/models/manifest";
import { defaultModelsDir } from "@inkwell/models/paths";
import type { ModelPins } from "../../src/runtime/model-selection.ts";
import { type BatchingOptions, type InferenceRuntime, loadRuntime } from "../../src/runtime/runtime.ts";

const silent = { info() {}, warn() {} };

/**
 * The static floor models, pinned: a real node on this machine would measure itself and most likely take
 * USE-lite and the journal heads, but route tests must not depend on how busy the machine is.
 */
export const FLOOR_MODELS: ModelPins = {
  embedding: "inkwell-static-embed-100d",
  sentiment: "inkwell-sentiment-uci",
  emotion: "inkwell-emotion-prototypes",
};

/** USE-lite and the sentiment and emotion heads trained over it on the journal corpus. */
export const JOURNAL_HEAD_MODELS: ModelPins = {
  embedding: "use-lite",
  sentiment: "inkwell-sentiment-use-lite",
  emotion: "inkwell-emotion-use-lite",
};

/** Real built models, loaded as a node on this machine loads them (by default the floor models). */
export async function loadBuiltRuntime(
  batching: Partial<BatchingOptions> = {},
  pins: ModelPins = FLOOR_MODELS,
): Promise<InferenceRuntime> {
  return await loadRuntime({
    manifest: loadManifest(),
    modelDirs: [defaultModelsDir({})],
    tier: "cpu-small",
    device: "cpu",
    threads: 2,
    pins,
    batching: { maxBatchSize: 32, maxBatchTokens: 16_384, maxWaitMs: 2, queueCapacity: 1024, ...batching },
    log: silent,
  });
}
