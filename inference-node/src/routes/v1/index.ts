import type { FastifyPluginAsync } from "fastify";
import type { Config } from "../../config.ts";
import { edgeVerify } from "../../plugins/edge-verify.ts";
import type { InferenceRuntime } from "../../runtime/runtime.ts";
import { createVectorSearch } from "../../vectors/vector-search.ts";
import { embedRoute } from "./embed.ts";
import { safetyRoute } from "./safety.ts";
import { vectorSearchRoute } from "./vector-search.ts";

export interface InteractiveRoutesOptions extends Record<string, unknown> {
  config: Config;
  runtime: InferenceRuntime;
}

/** Everything under /v1 is called by the edge directly; this encapsulated context makes signing non-optional. */
export const interactiveRoutes: FastifyPluginAsync<InteractiveRoutesOptions> = async (
  fastify,
  { config, runtime },
) => {
  await fastify.register(edgeVerify, { nodeToken: config.nodeToken });
  await fastify.register(embedRoute, { runtime });
  await fastify.register(safetyRoute, { runtime });
  await fastify.register(vectorSearchRoute, {
    vectors: createVectorSearch(config.chromaUrl, config.chromaToken),
  });
};
