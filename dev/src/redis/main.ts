import { pino } from "pino";
import { z } from "zod";
import { startUpstashRestServer } from "./upstash-rest-server.ts";

/**
 * Serves the Upstash REST protocol over an already running Redis:
 *   REDIS_URL=redis://127.0.0.1:6379 UPSTASH_REDIS_REST_TOKEN=dev-token UPSTASH_REST_PORT=8079 \
 *     tsx dev/src/redis/main.ts
 * The edge then uses UPSTASH_REDIS_REST_URL=http://127.0.0.1:8079 with the same token.
 */
const envSchema = z.object({
  UPSTASH_REST_PORT: z.coerce.number().int().min(0).max(65_535).default(8079),
  UPSTASH_REST_HOST: z.string().min(1).default("127.0.0.1"),
  UPSTASH_REDIS_REST_TOKEN: z
    .string()
    .min(1, "UPSTASH_REDIS_REST_TOKEN must be set (any non-empty dev token)"),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
});

const logger = pino({ name: "upstash-rest" });

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    // Issue messages name the variable, never its value.
    for (const issue of parsed.error.issues) logger.error(`${issue.path.join(".")}: ${issue.message}`);
    process.exitCode = 1;
    return;
  }
  const env = parsed.data;
  const server = await startUpstashRestServer({
    host: env.UPSTASH_REST_HOST,
    port: env.UPSTASH_REST_PORT,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    redisUrl: env.REDIS_URL,
    logger: {
      info: (msg) => logger.info(msg),
      warn: (msg) => logger.warn(msg),
      error: (msg) => logger.error(msg),
    },
  });
  const shutdown = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
