import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { z } from "zod";
import { DEV_MODE_CREDENTIALS, DEV_MODE_PORT } from "./dev-credentials.ts";
import { startQStashServer } from "./server.ts";

const USAGE = `Usage: tsx dev/src/qstash/main.ts [--port N] [--host H] [--data-dir DIR] [--dev]

Environment (flags win):
  QSTASH_PORT                 port to listen on (default 8080, the client's dev-mode port)
  QSTASH_HOST                 interface to bind (default 127.0.0.1)
  QSTASH_TOKEN                bearer token clients must send (required unless --dev)
  QSTASH_CURRENT_SIGNING_KEY  key deliveries are signed with (required unless --dev)
  QSTASH_NEXT_SIGNING_KEY     reported by GET /v2/keys (required unless --dev)
  QSTASH_DATA_DIR             where messages are persisted (default .data/qstash)
  QSTASH_RETRY_BASE_DELAY_MS  retry backoff base (default 1000)
  LOG_LEVEL                   pino level (default info)
  --dev                       use the official client's dev-mode token and signing keys`;

const portSchema = z.coerce.number().int().min(0).max(65_535);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      dev: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const env = process.env;
  const dev = values.dev === true;
  const config = z
    .object({
      port: portSchema,
      host: z.string().min(1),
      token: z.string().min(1, "QSTASH_TOKEN is required (or pass --dev)"),
      currentSigningKey: z.string().min(1, "QSTASH_CURRENT_SIGNING_KEY is required (or pass --dev)"),
      nextSigningKey: z.string().min(1, "QSTASH_NEXT_SIGNING_KEY is required (or pass --dev)"),
      dataDir: z.string().min(1),
      retryBaseDelayMs: z.coerce.number().int().positive(),
    })
    .safeParse({
      port: values.port ?? env.QSTASH_PORT ?? DEV_MODE_PORT,
      host: values.host ?? env.QSTASH_HOST ?? "127.0.0.1",
      token: dev ? DEV_MODE_CREDENTIALS.token : (env.QSTASH_TOKEN ?? ""),
      currentSigningKey: dev
        ? DEV_MODE_CREDENTIALS.currentSigningKey
        : (env.QSTASH_CURRENT_SIGNING_KEY ?? ""),
      nextSigningKey: dev ? DEV_MODE_CREDENTIALS.nextSigningKey : (env.QSTASH_NEXT_SIGNING_KEY ?? ""),
      dataDir: path.resolve(values["data-dir"] ?? env.QSTASH_DATA_DIR ?? ".data/qstash"),
      retryBaseDelayMs: env.QSTASH_RETRY_BASE_DELAY_MS ?? 1_000,
    });
  if (!config.success) {
    const problems = config.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    process.stderr.write(`Invalid configuration:\n${problems}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }

  const logger = pino({ name: "qstash-local", level: env.LOG_LEVEL ?? "info" });
  const server = await startQStashServer({ ...config.data, logger });
  logger.info({ url: server.url }, "QSTASH_URL for clients");

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means the user does not want to wait for in-flight deliveries.
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "stopping");
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `qstash stand-in failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
