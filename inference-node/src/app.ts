import type { Hardware } from "@inkwell/shared";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Registry } from "prom-client";
import type { Config } from "./config.ts";
import { type CudaProbeOptions, detectHardware } from "./hardware.ts";
import { createNodeState, type NodeState } from "./node-state.ts";
import { errorHandler } from "./plugins/error-handler.ts";
import { metrics } from "./plugins/metrics.ts";
import { genRequestId, requestId } from "./plugins/request-id.ts";
import { loadShedding } from "./plugins/under-pressure.ts";
import { healthRoute } from "./routes/health.ts";
import { infoRoute } from "./routes/info.ts";
import { jobRoutes } from "./routes/jobs/index.ts";
import { NODE_VERSION } from "./version.ts";

export interface AppDeps {
  /** Already detected hardware (server.ts detects once for app and heartbeat); detected here if absent. */
  hardware?: Hardware;
  /** Overrides for CUDA detection when `hardware` is not given. */
  cudaProbe?: CudaProbeOptions;
  state?: NodeState;
  /** A pino logger; without one the app logs at `config.logLevel` to stdout. */
  logger?: FastifyBaseLogger;
  metricsRegistry?: Registry;
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
      disableRequestLogging: (request) => request.url === "/health" || request.url === "/metrics",
    }),
    // The body is JSON job payloads; journal entries are far smaller than this.
    bodyLimit: 1024 * 1024,
  });

  const state = deps.state ?? createNodeState();
  const hardware =
    deps.hardware ?? (await detectHardware(config.inferenceDevice, { ...deps.cudaProbe, log: app.log }));

  await app.register(loadShedding);
  await app.register(metrics, {
    version: NODE_VERSION,
    device: hardware.device,
    ...(deps.metricsRegistry ? { registry: deps.metricsRegistry } : {}),
  });
  await app.register(requestId);

  await app.register(errorHandler);

  await app.register(healthRoute);
  await app.register(infoRoute, { hardware, state });
  await app.register(jobRoutes, { config });

  return app;
}
