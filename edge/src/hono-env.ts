import type { ApiScope, Role } from "@inkwell/shared";
import type { Client as QStashClient } from "@upstash/qstash";
import type { Redis } from "@upstash/redis/cloudflare";
import type { DataKeyring } from "./crypto/data-keys.ts";
import type { Database } from "./db/client.ts";
import type { AppConfig, Env } from "./env.ts";

export interface Services {
  config: AppConfig;
  db: Database;
  redis: Redis;
  qstash: QStashClient;
  /** Users' data keys, unwrapped at most once per request (docs/design/encryption.md). */
  dataKeys: DataKeyring;
}

/** Who is calling, as the auth middleware established it; routes take the user only from here. */
export interface AuthContext {
  userId: string;
  role: Role;
  /** Effective scopes: a JWT carries every non-admin scope (plus admin for admins), a key its own. */
  scopes: ApiScope[];
  via: "jwt" | "api_key";
  /** The account's IANA time zone as stored (read with the auth state, so insights need no query for it). */
  timezone: string;
  /** Set when `via` is "api_key". */
  apiKeyId?: string;
  /** When `via` is "jwt" and the token came from a password sign-in: when the password was checked (s). */
  authTime?: number;
}

/** The one Hono context type of the edge. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    services: Services;
    /** Set on internal routes once a node token is verified. */
    nodeId: string;
    /** Set on QStash callback routes: the body exactly as signed, checked before anything parses it. */
    qstashBody: string;
    auth: AuthContext;
  };
}
