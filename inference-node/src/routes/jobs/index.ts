import type { FastifyPluginAsync } from "fastify";
import type { Config } from "../../config.ts";
import type { LlmRuntime } from "../../llm/select-backend.ts";
import { qstashVerify } from "../../plugins/qstash-verify.ts";
import type { InferenceRuntime } from "../../runtime/runtime.ts";
import { discoverTopicsRoute } from "../../topics/discover-topics-route.ts";
import { createChromaStore, type VectorStore } from "../../vectors/chroma-store.ts";
import { runLegacyMigration } from "../../vectors/legacy-migration.ts";
import { analyzeEntryRoute } from "./analyze-entry.ts";
import { echoJobRoute } from "./echo.ts";
import { listVectorsRoute } from "./list-vectors.ts";
import { purgeEntryVectorsRoute } from "./purge-entry-vectors.ts";
import { reindexRoute } from "./reindex.ts";
import { titleSessionRoute } from "./title-session.ts";
import { writeReflectionRoute } from "./write-reflection.ts";

export interface JobRoutesOptions extends Record<string, unknown> {
  config: Config;
  runtime: InferenceRuntime;
  /** Tests pass their own; otherwise one is made from CHROMA_URL. */
  vectors?: VectorStore;
  /** The chat model, for naming sessions; without one those jobs answer with keyword titles. */
  llm?: LlmRuntime;
}

/** Everything under /jobs is delivered by QStash; this encapsulated context makes that non-optional. */
export const jobRoutes: FastifyPluginAsync<JobRoutesOptions> = async (
  fastify,
  { config, runtime, vectors: given, llm },
) => {
  const vectors = given ?? createChromaStore(config.chromaUrl, fastify.log, config.chromaToken);
  if (!given && vectors.enabled) {
    // Vectors an older node kept per model move to their writers' collections while the node serves.
    const stop = new AbortController();
    const migration = runLegacyMigration(vectors, fastify.log, stop.signal);
    fastify.addHook("onClose", async () => {
      stop.abort();
      await migration;
    });
  }
  await fastify.register(qstashVerify, {
    currentSigningKey: config.qstash.currentSigningKey,
    nextSigningKey: config.qstash.nextSigningKey,
    publicUrl: config.publicUrl,
  });
  await fastify.register(echoJobRoute);
  await fastify.register(analyzeEntryRoute, { runtime, vectors });
  await fastify.register(purgeEntryVectorsRoute, { vectors });
  await fastify.register(reindexRoute, { vectors });
  await fastify.register(listVectorsRoute, { vectors });
  await fastify.register(titleSessionRoute, { llm });
  await fastify.register(writeReflectionRoute, { llm });
  await fastify.register(discoverTopicsRoute, { runtime });
};
