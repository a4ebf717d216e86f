/** Model manifest and tooling for Inkwell's inference nodes. */
export const MODELS_PACKAGE = "@inkwell/models";

export * from "./files.ts";
export * from "./manifest.ts";
export { type BuildOutcome, buildOffline, ensureOfflineModels } from "./offline/build.ts";
export { offlineBuilders } from "./offline/registry.ts";
export { probeModelBytes } from "./onnx/graph.ts";
export * from "./paths.ts";
export * from "./token-encoder.ts";
