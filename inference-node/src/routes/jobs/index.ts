import type { FastifyPluginAsync } from "fastify";
import type { Config } from "../../config.ts";
import { qstashVerify } from "../../plugins/qstash-verify.ts";
import type { InferenceRuntime } from "../../runtime/runtime.ts";
import { analyzeEntryRoute } from "./analyze-entry.ts";
import { echoJobRoute } from "./echo.ts";

export interface JobRoutesOptions extends Record<string, unknown> {
  config: Config;
  runtime: InferenceRuntime;
}

/** Everything under /jobs is delivered by QStash; this encapsulated context makes that non-optional. */
export const jobRoutes: FastifyPluginAsync<JobRoutesOptions> = async (fastify, { config, runtime }) => {
  await fastify.register(qstashVerify, {
    currentSigningKey: config.qstash.currentSigningKey,
    nextSigningKey: config.qstash.nextSigningKey,
    publicUrl: config.publicUrl,
  });
  await fastify.register(echoJobRoute);
  await fastify.register(analyzeEntryRoute, { runtime });
};
