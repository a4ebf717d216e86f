import { loadManifest } from "@inkwell/models/manifest";
import type { Hardware } from "@inkwell/shared";
import type { FastifyBaseLogger, FastifyPluginAsync } from "fastify";
import type { Config } from "../config.ts";
import { loadKnowledgeCorpus } from "../knowledge/corpus.ts";
import { knowledgeRoutes } from "../knowledge/knowledge-routes.ts";
import { createKnowledgeService, type KnowledgeService } from "../knowledge/knowledge-service.ts";
import { nodeModelDirs } from "../runtime/model-dirs.ts";
import type { InferenceRuntime } from "../runtime/runtime.ts";
import { llmRoutes } from "./llm-routes.ts";
import { type LlmRuntime, selectLlmBackend } from "./select-backend.ts";

export interface ChatServices {
  llm: LlmRuntime;
  knowledge: KnowledgeService;
  /** Whether the app created these (and so closes them) or a test passed them in. */
  owned: { llm: boolean };
}

/** The LLM backend (chosen at boot) and the knowledge base over the node's embedding model. */
export async function loadChatServices(
  config: Config,
  hardware: Hardware,
  runtime: InferenceRuntime,
  log: FastifyBaseLogger,
  given: { llm?: LlmRuntime; knowledge?: KnowledgeService } = {},
): Promise<ChatServices> {
  const llm =
    given.llm ??
    (await selectLlmBackend({
      config: config.llm,
      device: hardware.device,
      manifest: loadManifest(),
      modelDirs: nodeModelDirs(config.models),
      log,
    }));
  const embeddingModel = runtime.models.find((m) => m.task === "embedding")?.id ?? "unknown";
  const knowledge =
    given.knowledge ??
    createKnowledgeService({
      corpus: loadKnowledgeCorpus(),
      embedder: { embed: async (texts) => await runtime.embed(texts) },
      model: embeddingModel,
      chromaUrl: config.chromaUrl,
      chromaToken: config.chromaToken,
      log,
    });
  return { llm, knowledge, owned: { llm: given.llm === undefined } };
}

const SEED_WAIT_MS = 30_000;

export interface ChatRoutesOptions extends Record<string, unknown> {
  config: Config;
  services: ChatServices;
}

/**
 * `/v1/chat/stream` and `/v1/knowledge/*`. Seeds the knowledge base before the node listens (and so before
 * its first heartbeat), for at most {@link SEED_WAIT_MS}: embedding the corpus keeps the event loop busy,
 * and a node that took traffic meanwhile answered slowly. A slower seed goes on in the background.
 */
export const chatRoutes: FastifyPluginAsync<ChatRoutesOptions> = async (fastify, { config, services }) => {
  await fastify.register(llmRoutes, { nodeToken: config.nodeToken, llm: services.llm });
  await fastify.register(knowledgeRoutes, { nodeToken: config.nodeToken, knowledge: services.knowledge });
  fastify.addHook("onReady", async () => {
    const seeding = services.knowledge.seed();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SEED_WAIT_MS);
      timer.unref();
    });
    await Promise.race([seeding, waited]);
    clearTimeout(timer);
  });
  if (services.owned.llm) {
    fastify.addHook("onClose", async () => {
      await services.llm.close();
    });
  }
};
