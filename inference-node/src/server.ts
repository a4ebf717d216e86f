import { pino } from "pino";
import { buildApp, loadNodeRuntime } from "./app.ts";
import { type Config, ConfigError, loadConfig, withEnrollment } from "./config.ts";
import { EnrollmentRefused, enroll } from "./enrollment.ts";
import { detectHardware, readMemory } from "./hardware.ts";
import { type Heartbeat, startHeartbeat } from "./heartbeat.ts";
import { ListenError, listenAll } from "./listen.ts";
import { createNodeState } from "./node-state.ts";
import { ModelLoadError } from "./runtime/errors.ts";
import type { InferenceRuntime } from "./runtime/runtime.ts";
import { NODE_VERSION } from "./version.ts";

/** Past this, a shutdown that is stuck (a hung request, an unreachable edge) gives up and exits. */
const SHUTDOWN_DEADLINE_MS = 15_000;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

async function main(): Promise<void> {
  // Before anything else, so a misconfigured node never listens.
  let config = readConfig();
  const logger = pino({ level: config.logLevel });

  if (config.publicUrlDerived && (config.host === "0.0.0.0" || config.host === "::")) {
    logger.warn(
      { publicUrl: config.publicUrl },
      "NODE_PUBLIC_URL is not set, so QStash signatures are checked against a wildcard address no delivery " +
        "is signed for; set NODE_PUBLIC_URL to the URL the edge publishes jobs to",
    );
  }

  const state = createNodeState();
  if (config.enrollment) {
    // Before the routes exist: they verify the edge's signatures with the token enrollment hands out.
    try {
      const enrolled = await enroll({
        edgeUrl: config.enrollment.edgeUrl,
        joinSecret: config.enrollment.joinSecret,
        name: config.enrollment.name,
        publicUrl: config.publicUrl,
        log: logger,
      });
      config = withEnrollment(config, enrolled.token);
      state.nodeId = enrolled.nodeId;
    } catch (error) {
      if (error instanceof EnrollmentRefused) fail(`inference node cannot enroll: ${error.message}`);
      throw error;
    }
  }
  const hardware = await detectHardware(config.inferenceDevice, { log: logger });
  logger.info(
    { device: hardware.device, cpu: hardware.cpu, gpus: hardware.cuda.gpus.map((gpu) => gpu.name) },
    "hardware detected",
  );

  let runtime: InferenceRuntime;
  try {
    runtime = await loadNodeRuntime(config, hardware, logger);
  } catch (error) {
    // A missing or corrupt model is an operator problem with a known fix: say it in one line, no stack.
    if (error instanceof ModelLoadError) fail(`inference node cannot start: ${error.message}`);
    throw error;
  }
  const app = await buildApp(config, { hardware, state, logger, runtime });
  app.addHook("onClose", async () => {
    await runtime.close();
  });
  try {
    await listenAll(app, config);
  } catch (error) {
    if (error instanceof ListenError) fail(error.message);
    throw error;
  }
  logger.info({ addresses: app.admin.addresses() }, "/info and /metrics listening (private)");

  let heartbeat: Heartbeat | undefined;
  if (config.edge) {
    heartbeat = startHeartbeat({
      edgeUrl: config.edge.url,
      token: config.edge.token,
      intervalMs: config.heartbeatIntervalMs,
      version: NODE_VERSION,
      publicUrl: config.publicUrl,
      hardware: () => ({ ...hardware, memory: readMemory() }),
      models: () => state.models(),
      state,
      log: logger,
    });
  } else {
    logger.info("EDGE_URL is not set: not sending heartbeats, so the edge will not route jobs here");
  }

  let shuttingDown = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn({ signal }, "second signal: exiting without finishing in-flight work");
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, "graceful shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    void (async () => {
      // Heartbeat first: the final "draining" beat tells the edge to stop sending work while we finish.
      await heartbeat?.stop();
      await app.close();
      logger.info("shut down cleanly");
      process.exit(0);
    })().catch((error: unknown) => {
      logger.error({ err: error }, "error during shutdown");
      process.exit(1);
    });
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `inference node failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
