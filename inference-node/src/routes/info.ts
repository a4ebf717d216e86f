import type { Hardware } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { nodeTier } from "../hardware.ts";
import type { NodeState } from "../node-state.ts";
import { NODE_VERSION } from "../version.ts";

export interface InfoRouteOptions extends Record<string, unknown> {
  hardware: Hardware;
  state: NodeState;
}

export const infoRoute: FastifyPluginAsync<InfoRouteOptions> = async (fastify, { hardware, state }) => {
  fastify.get("/info", async () => ({
    version: NODE_VERSION,
    ...(state.nodeId === undefined ? {} : { nodeId: state.nodeId }),
    device: hardware.device,
    hardware,
    tier: nodeTier(hardware),
    models: [],
    uptimeSeconds: state.uptimeSeconds(),
  }));
};
