import { and, eq, isNull } from "drizzle-orm";
import { users } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { type CacheValue, putCache, withCache } from "../lib/cache.ts";

export type AuthState = CacheValue<"authState">;

/**
 * The live facts auth checks on every request: the token version (bumped by logout-all and password
 * changes) and the role. Read through a short cache; Postgres answers when Redis cannot.
 * Null when the user no longer exists.
 */
export async function loadAuthState(services: Services, userId: string): Promise<AuthState | null> {
  return await withCache(services.redis, "authState", userId, async () => {
    const [row] = await services.db
      .select({ tokenVersion: users.tokenVersion, role: users.role, timezone: users.timezone })
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.deletedAt)))
      .limit(1);
    return row ?? null;
  });
}

/** Tells the cache about a change at once, so revoked tokens do not live on until the TTL. */
export async function publishAuthState(services: Services, userId: string, state: AuthState): Promise<void> {
  const told = await putCache(services.redis, "authState", userId, state);
  if (!told) {
    // Redis is down: readers fall back to Postgres, which already has the change. Only a reader
    // holding a value cached before the outage can see the old state, for at most the TTL.
    console.warn(JSON.stringify({ level: "warn", msg: "auth state not published to cache" }));
  }
}
