import type { Redis } from "@upstash/redis/cloudflare";
import type { Client as QStashClient } from "@upstash/qstash";
import type { Database } from "./db/client.ts";
import type { AppConfig, Env } from "./env.ts";

export interface Services {
  config: AppConfig;
  db: Database;
  redis: Redis;
  qstash: QStashClient;
}

/** The one Hono context type of the edge. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    services: Services;
    /** Set on internal routes once a node token is verified. */
    nodeId: string;
  };
}
