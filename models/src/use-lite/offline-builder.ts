import type { OfflineBuilder } from "../offline/registry.ts";
import { buildUseLiteOnnx, USE_LITE_MODEL_ID, useLiteInputsHash } from "./build.ts";

/** `build-offline` entry: converts USE-lite from the installed npm package; no network, ~1-2 s. */
export const useLiteBuilder: OfflineBuilder = {
  id: USE_LITE_MODEL_ID,
  inputsHash: useLiteInputsHash,
  async build(ctx) {
    ctx.progress.update(0, 1, "converting the TF.js graph to ONNX");
    const result = await buildUseLiteOnnx(ctx.outDir, (message) => ctx.log(message));
    ctx.progress.update(1, 1, "done");
    return {
      metrics: {
        dimensions: result.dimensions,
        maxSequenceLength: result.maxSequenceLength,
        onnxNodes: result.nodes,
      },
    };
  },
};
