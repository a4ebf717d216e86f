import type { FastifyPluginAsync } from "fastify";
import { edgeVerify } from "../plugins/edge-verify.ts";
import { chatStreamRoute } from "./chat-stream-route.ts";
import type { LlmRuntime } from "./select-backend.ts";

export interface LlmRoutesOptions extends Record<string, unknown> {
  nodeToken: string | undefined;
  llm: LlmRuntime;
}

/** Chat generation for the edge; its own encapsulated context so the edge signature guards it. */
export const llmRoutes: FastifyPluginAsync<LlmRoutesOptions> = async (fastify, { nodeToken, llm }) => {
  await fastify.register(edgeVerify, { nodeToken });
  await fastify.register(chatStreamRoute, { llm });
};
