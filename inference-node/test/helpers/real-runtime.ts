import { loadManifest } from "@inkwell/models/manifest";
import { defaultModelsDir } from "@inkwell/models/paths";
import { type BatchingOptions, type InferenceRuntime, loadRuntime } from "../../src/runtime/runtime.ts";

const silent = { info() {}, warn() {} };

/** The real built models (cpu-small tier: Inkwell's offline models), as a node on this machine loads them. */
export async function loadBuiltRuntime(batching: Partial<BatchingOptions> = {}): Promise<InferenceRuntime> {
  return await loadRuntime({
    manifest: loadManifest(),
    modelsDir: defaultModelsDir({}),
    tier: "cpu-small",
    device: "cpu",
    threads: 2,
    batching: { maxBatchSize: 32, maxBatchTokens: 16_384, maxWaitMs: 2, queueCapacity: 1024, ...batching },
    log: silent,
  });
}
