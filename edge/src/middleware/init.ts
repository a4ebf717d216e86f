import { InkwellError } from "@inkwell/shared";
import { Client as QStashClient } from "@upstash/qstash";
import { Redis } from "@upstash/redis/cloudflare";
import { createMiddleware } from "hono/factory";
import { DataKeyring, rootKeysOf } from "../crypto/data-keys.ts";
import { createDatabase } from "../db/client.ts";
import { parseEnv } from "../env.ts";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../lib/log.ts";

/**
 * Validates the environment once per request and builds the per-request services. A missing or
 * weak secret stops every route but liveness with 500 BAD_ENVIRONMENT; the log names the settings
 * (never their values), the answer names nothing.
 */
export const init = createMiddleware<AppEnv>(async (c, next) => {
  const parsed = parseEnv(c.env);
  if (!parsed.ok) {
    log.error("bad environment", { problems: parsed.problems });
    // Which settings are wrong is for the operator's log, not for anonymous callers.
    throw new InkwellError("BAD_ENVIRONMENT", "The server is misconfigured.");
  }
  const { config } = parsed;
  const { db } = createDatabase(c.env.HYPERDRIVE.connectionString, {
    connectTimeoutSeconds: config.DB_CONNECT_TIMEOUT_SECONDS,
  });
  c.set("services", {
    config,
    db,
    redis: new Redis({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      // Cached reads must never hang a request when Redis is slow; callers degrade instead.
      retry: { retries: 1, backoff: () => 50 },
      enableTelemetry: false,
    }),
    qstash: new QStashClient({ baseUrl: config.QSTASH_URL, token: config.QSTASH_TOKEN, devMode: false }),
    dataKeys: new DataKeyring(db, rootKeysOf(config)),
  });
  await next();
});
