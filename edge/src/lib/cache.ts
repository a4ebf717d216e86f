import { apiScopeSchema, roleSchema } from "@inkwell/shared";
import type { Redis } from "@upstash/redis/cloudflare";
import { z } from "zod";
import { errorName, log } from "./log.ts";
import { withTimeout } from "./timeout.ts";
import { userKeys } from "./user-keys.ts";

/**
 * Typed cache namespaces. Every value is re-validated on read, so a value written by an older
 * deployment (or garbage) is treated as a miss instead of trusted.
 */
export const cacheNamespaces = {
  /**
   * What auth needs to know about a user on every request; short so role changes show quickly. The
   * time zone rides along because every insight needs it, and reading it here saves a query per read.
   */
  authState: {
    ttlSeconds: 30,
    schema: z.object({
      tokenVersion: z.number().int(),
      role: roleSchema,
      timezone: z.string(),
      /** An administrator disabled the account (absent in values cached before accounts could be). */
      disabled: z.boolean().optional(),
    }),
  },
  /**
   * API-key verification by key hash; a tombstone marks a key deleted, or one Postgres does not know,
   * until the TTL passes.
   */
  apiKey: {
    ttlSeconds: 60,
    schema: z.union([
      z.object({
        id: z.string(),
        userId: z.string(),
        scopes: z.array(apiScopeSchema),
        expiresAt: z.number().nullable(),
      }),
      z.object({ deleted: z.literal(true) }),
    ]),
  },
} as const;

export type CacheNamespace = keyof typeof cacheNamespaces;
export type CacheValue<N extends CacheNamespace> = z.infer<(typeof cacheNamespaces)[N]["schema"]>;

/** A cache that is slow must cost less than the query it saves. */
const CACHE_TIMEOUT_MS = 1_000;

export function cacheKey(ns: CacheNamespace, key: string): string {
  // A user's auth state lives under the user's prefix, where account deletion removes it.
  if (ns === "authState") return userKeys.authState(key);
  return `inkwell:cache:${ns}:${key}`;
}

function logCacheFailure(op: string, ns: CacheNamespace, err: unknown): void {
  // Never the key: some keys are derived from credentials.
  log.warn("cache unavailable", { op, ns, error: errorName(err) });
}

/**
 * Reads through the cache and fails open: when Redis is down, slow or holds junk, the loader (the
 * source of truth) answers. A null from the loader is not cached, so a row that appears is seen at once.
 * Fills use SET NX so a fill racing an invalidation can never overwrite the newer value.
 */
export async function withCache<N extends CacheNamespace>(
  redis: Redis,
  ns: N,
  key: string,
  loader: () => Promise<CacheValue<N> | null>,
): Promise<CacheValue<N> | null> {
  const { schema, ttlSeconds } = cacheNamespaces[ns];
  try {
    const cached = await withTimeout(redis.get<unknown>(cacheKey(ns, key)), CACHE_TIMEOUT_MS, "Redis");
    if (cached !== null) {
      const parsed = schema.safeParse(cached);
      if (parsed.success) return parsed.data as CacheValue<N>;
    }
  } catch (err) {
    logCacheFailure("get", ns, err);
    return await loader();
  }
  const value = await loader();
  if (value !== null) {
    try {
      await withTimeout(
        redis.set(cacheKey(ns, key), JSON.stringify(value), { nx: true, ex: ttlSeconds }),
        CACHE_TIMEOUT_MS,
        "Redis",
      );
    } catch (err) {
      logCacheFailure("fill", ns, err);
    }
  }
  return value;
}

/**
 * Overwrites an entry after the source of truth changed. Returns false when Redis could not be
 * told, so the caller can decide whether a stale entry for up to the TTL is acceptable.
 */
export async function putCache<N extends CacheNamespace>(
  redis: Redis,
  ns: N,
  key: string,
  value: CacheValue<N>,
): Promise<boolean> {
  try {
    await withTimeout(
      redis.set(cacheKey(ns, key), JSON.stringify(value), { ex: cacheNamespaces[ns].ttlSeconds }),
      CACHE_TIMEOUT_MS,
      "Redis",
    );
    return true;
  } catch (err) {
    logCacheFailure("put", ns, err);
    return false;
  }
}
