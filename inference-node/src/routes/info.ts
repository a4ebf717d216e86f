import type { Hardware } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { nodeTier } from "../hardware.ts";
import type { LlmRuntime } from "../llm/select-backend.ts";
import type { NodeState } from "../node-state.ts";
import type { InferenceRuntime } from "../runtime/runtime.ts";
import { NODE_VERSION } from "../version.ts";

export interface InfoRouteOptions extends Record<string, unknown> {
  hardware: Hardware;
  state: NodeState;
  runtime: InferenceRuntime;
  batching: { maxBatchSize: number; maxBatchTokens: number; maxWaitMs: number; queueCapacity: number };
  /** The chat backend: which one, its model and health, and why it was chosen. */
  llm?: LlmRuntime;
}

export const infoRoute: FastifyPluginAsync<InfoRouteOptions> = async (
  fastify,
  { hardware, state, runtime, batching, llm },
) => {
  fastify.get("/info", async () => ({
    version: NODE_VERSION,
    ...(state.nodeId === undefined ? {} : { nodeId: state.nodeId }),
    device: hardware.device,
    hardware,
    tier: nodeTier(hardware),
    models: runtime.models,
    // Which model each task got on this tier, and why the others were passed over.
    selection: runtime.selection ?? null,
    batching,
    load: runtime.load(),
    health: runtime.health(),
    uptimeSeconds: state.uptimeSeconds(),
    ...(llm ? { llm: await llm.info() } : {}),
  }));
};
