import { and, eq, isNull } from "drizzle-orm";
import { users } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { type CacheValue, cacheKey, cacheNamespaces, withCache } from "../lib/cache.ts";
import { log } from "../lib/log.ts";
import { withTimeout } from "../lib/timeout.ts";

export type AuthState = CacheValue<"authState">;

/**
 * The live facts auth checks on every request: the token version (bumped by logout-all and password
 * changes), the role and whether an administrator disabled the account. Read through a short cache;
 * Postgres answers when Redis cannot.
 * Null when the user no longer exists.
 */
export async function loadAuthState(services: Services, userId: string): Promise<AuthState | null> {
  return await withCache(services.redis, "authState", userId, async () => {
    const [row] = await services.db
      .select({
        tokenVersion: users.tokenVersion,
        role: users.role,
        timezone: users.timezone,
        disabledAt: users.disabledAt,
      })
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.deletedAt)))
      .limit(1);
    if (!row) return null;
    const { disabledAt, ...state } = row;
    return { ...state, disabled: disabledAt !== null };
  });
}

/**
 * Writes the state unless the cache already holds a newer token version, in one step on the Redis
 * side. A writer that read the row before a sign-out everywhere (a profile change racing logout-all)
 * would otherwise put the old version back, and the tokens logout-all revoked would work again until
 * the TTL. A cached value that is not this shape is overwritten.
 */
const PUBLISH_UNLESS_NEWER = `
local cached = redis.call("GET", KEYS[1])
if cached then
  local ok, decoded = pcall(cjson.decode, cached)
  if ok and type(decoded) == "table" and type(decoded.tokenVersion) == "number"
    and decoded.tokenVersion > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call("SET", KEYS[1], ARGV[1], "EX", ARGV[3])
return 1
`;

/**
 * Tells the cache about a change at once, so revoked tokens do not live on until the TTL. A state
 * older than the cached one (by token version) is dropped rather than written.
 */
export async function publishAuthState(
  services: Pick<Services, "redis">,
  userId: string,
  state: AuthState,
): Promise<void> {
  try {
    await withTimeout(
      services.redis.eval(
        PUBLISH_UNLESS_NEWER,
        [cacheKey("authState", userId)],
        [JSON.stringify(state), String(state.tokenVersion), String(cacheNamespaces.authState.ttlSeconds)],
      ),
      1_000,
      "Redis",
    );
  } catch {
    // Redis is down: readers fall back to Postgres, which already has the change. Only a reader
    // holding a value cached before the outage can see the old state, for at most the TTL.
    log.warn("auth state not published to cache");
  }
}
