import { loadManifest } from "@inkwell/models/manifest";
import type { Hardware } from "@inkwell/shared";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { Registry } from "prom-client";
import { safetyMeaningFor } from "./analysis/safety-meaning.ts";
import type { Config } from "./config.ts";
import { type CudaProbeOptions, detectHardware, nodeTier } from "./hardware.ts";
import type { KnowledgeService } from "./knowledge/knowledge-service.ts";
import { chatRoutes, loadChatServices } from "./llm/chat-services.ts";
import type { LlmRuntime } from "./llm/select-backend.ts";
import { createNodeState, type NodeState } from "./node-state.ts";
import { errorHandler } from "./plugins/error-handler.ts";
import { metrics, metricsRoute } from "./plugins/metrics.ts";
import { genRequestId, requestId } from "./plugins/request-id.ts";
import { loadShedding } from "./plugins/under-pressure.ts";
import { healthRoute } from "./routes/health.ts";
import { infoRoute } from "./routes/info.ts";
import { jobRoutes } from "./routes/jobs/index.ts";
import { interactiveRoutes } from "./routes/v1/index.ts";
import { nodeModelDirs } from "./runtime/model-dirs.ts";
import { type InferenceRuntime, loadRuntime } from "./runtime/runtime.ts";
import { NODE_VERSION } from "./version.ts";

declare module "fastify" {
  interface FastifyInstance {
    /**
     * The node's private app, /info and /metrics: `server.ts` listens with it on NODE_ADMIN_HOST and
     * NODE_ADMIN_PORT, and closing the public app closes it too.
     */
    admin: FastifyInstance;
  }
}

export interface AppDeps {
  /** Already detected hardware (server.ts detects once for app and heartbeat); detected here if absent. */
  hardware?: Hardware;
  /** Overrides for CUDA detection when `hardware` is not given. */
  cudaProbe?: CudaProbeOptions;
  state?: NodeState;
  /** A pino logger; without one the app logs at `config.logLevel` to stdout. */
  logger?: FastifyBaseLogger;
  metricsRegistry?: Registry;
  /**
   * The models to serve. Without one the app selects, verifies, loads and warms up the models for this
   * machine's tier (and closes them with the app); tests pass a runtime they own.
   */
  runtime?: InferenceRuntime;
  /** The chat LLM; without one the app picks it from LLM_BACKEND (and closes it with the app). */
  llm?: LlmRuntime;
  knowledge?: KnowledgeService;
}

/** Loads the models this node's tier gets, then warms them up: done before listen, so "listening" means ready. */
export async function loadNodeRuntime(
  config: Config,
  hardware: Hardware,
  log: FastifyBaseLogger,
): Promise<InferenceRuntime> {
  const runtime = await loadRuntime({
    manifest: loadManifest(),
    modelDirs: nodeModelDirs(config.models),
    tier: nodeTier(hardware),
    device: hardware.device,
    threads: hardware.cpu.cores,
    pins: config.models.pins,
    batching: config.batching,
    log,
  });
  const warmUpMs = await runtime.warmUp();
  // The crisis assessor's prototype bank, embedded once with this node's encoder before it listens.
  await safetyMeaningFor(runtime);
  log.info(
    { warmUpMs, models: runtime.models.map((m) => `${m.task}:${m.id}@${m.device}`) },
    "models warmed up",
  );
  return runtime;
}

/**
 * Everything the node serves, as a plugin tree: external plugins first (load shedding, metrics, request
 * ids), then the app's own (errors), then routes. `server.ts` owns listening and shutdown, so tests can
 * build the same app and use `inject`.
 */
export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: { level: config.logLevel } }),
    genReqId: genRequestId,
    logController: new LogController({
      requestIdLogLabel: "requestId",
      // Docker health checks and Prometheus scrapes would otherwise drown out the job log lines.
      disableRequestLogging: (request) => request.url === "/health",
    }),
    // The body is JSON job payloads; journal entries are far smaller than this.
    bodyLimit: 1024 * 1024,
  });

  const state = deps.state ?? createNodeState();
  const hardware =
    deps.hardware ?? (await detectHardware(config.inferenceDevice, { ...deps.cudaProbe, log: app.log }));
  const runtime = deps.runtime ?? (await loadNodeRuntime(config, hardware, app.log));
  if (!deps.runtime) {
    app.addHook("onClose", async () => {
      await runtime.close();
    });
  }
  const chat = await loadChatServices(config, hardware, runtime, app.log, deps);
  // The heartbeat reports the batchers' queues from now on.
  state.load = () => runtime.load();
  // The chat model is reported too: the edge sends chat and session-title work only to nodes serving one.
  const llmModel = chat.llm.backend?.describe().model;
  state.models = () => [
    ...runtime.models.map((model) => ({ id: model.id, task: model.task })),
    ...(llmModel ? [{ id: llmModel, task: "llm" as const }] : []),
  ];

  const registry = deps.metricsRegistry ?? new Registry();
  await app.register(loadShedding);
  await app.register(metrics, { version: NODE_VERSION, device: hardware.device, runtime, registry });
  await app.register(requestId);

  await app.register(errorHandler);

  // Liveness stays public: container health checks and the local stack probe it, and it says only "ok".
  await app.register(healthRoute);
  await app.register(jobRoutes, { config, runtime, llm: chat.llm });
  await app.register(interactiveRoutes, { config, runtime });
  await app.register(chatRoutes, { config, services: chat });

  // What this node runs, on which hardware, and how loaded it is: for its operator and Prometheus, not
  // for whoever finds the public URL, so the public app answers 404 for these.
  const admin = Fastify({
    // Marked, so its "Server listening at" line is told apart from the public one's.
    loggerInstance: app.log.child({ listener: "admin" }),
    genReqId: genRequestId,
    logController: new LogController({ requestIdLogLabel: "requestId", disableRequestLogging: () => true }),
  });
  await admin.register(requestId);
  await admin.register(errorHandler);
  await admin.register(infoRoute, { hardware, state, runtime, batching: config.batching, llm: chat.llm });
  await admin.register(metricsRoute, { registry });
  app.decorate("admin", admin);
  app.addHook("onClose", async () => {
    await admin.close();
  });

  return app;
}
