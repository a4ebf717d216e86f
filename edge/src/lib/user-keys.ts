import type { Redis } from "@upstash/redis/cloudflare";
import { withTimeout } from "./timeout.ts";

/**
 * Where each user's Redis keys live. Every key that belongs to one user starts with the user's prefix
 * (the braces are a hash tag: a clustered Redis keeps them in one slot). Keys with a fixed name are
 * listed here; keys whose names vary (idempotency records, cached views, query vectors, key-use marks)
 * are written through `setUserKey`, which records each in the user's index, a sorted set scored by
 * when the key expires. Account deletion reads the index and deletes what it names together with the
 * fixed keys, in one step on the Redis side, without scanning the keyspace.
 */
export function userKeyPrefix(userId: string): string {
  return `inkwell:u:{${userId}}:`;
}

export function userKey(userId: string, ...parts: (string | number)[]): string {
  return `${userKeyPrefix(userId)}${parts.join(":")}`;
}

/** The longest TTL an indexed key may have: the index outlives every key it names. */
export const USER_KEY_MAX_TTL_SECONDS = 24 * 60 * 60;

const indexKey = (userId: string) => userKey(userId, "index");

/** The user's keys with a fixed name (deleted by name, not through the index). */
export const userKeys = {
  /** Cached auth state (token version, role, time zone). */
  authState: (userId: string) => userKey(userId, "auth"),
  /** Version of the user's cached views; bumping it makes every cached view unreachable. */
  viewVersion: (userId: string) => userKey(userId, "uv"),
  /** Chat replies being generated (a sorted set of slots). */
  replySlots: (userId: string) => userKey(userId, "replies"),
  /** Prefix of the user's rate-limit windows (the limiter appends the policy and the window). */
  rateLimit: (userId: string) => userKey(userId, "rl"),
} as const;

/**
 * Sets one of the user's keys and records it in the user's index, in one transaction; stale index
 * members are pruned on the way, so the index holds about as many members as the user has live keys.
 * Resolves to whether the value was written (false when `nx` found the key taken).
 */
export async function setUserKey(
  redis: Redis,
  userId: string,
  key: string,
  value: string,
  options: { ttlSeconds: number; nx?: boolean; timeoutMs: number },
): Promise<boolean> {
  if (!key.startsWith(userKeyPrefix(userId))) throw new Error("a user key must carry the user's prefix");
  if (options.ttlSeconds > USER_KEY_MAX_TTL_SECONDS) throw new Error("user key TTL above the index's");
  const now = Date.now();
  const index = indexKey(userId);
  const tx = redis.multi();
  if (options.nx) tx.set(key, value, { nx: true, ex: options.ttlSeconds });
  else tx.set(key, value, { ex: options.ttlSeconds });
  tx.zadd(index, { score: now + options.ttlSeconds * 1000, member: key });
  tx.zremrangebyscore(index, 0, now);
  tx.expire(index, USER_KEY_MAX_TTL_SECONDS);
  const [set] = await withTimeout(
    tx.exec<[string | null, number, number, number]>(),
    options.timeoutMs,
    "Redis",
  );
  return set === "OK";
}

/** Deletes the indexed keys in batches (Lua's unpack has a limit), then the named ones and the index. */
const DROP_USER_KEYS = `
local members = redis.call("ZRANGE", KEYS[1], 0, -1)
for i = 1, #members, 500 do
  redis.call("DEL", unpack(members, i, math.min(i + 499, #members)))
end
redis.call("DEL", unpack(KEYS))
return #members
`;

/**
 * Removes every key of the user: what the index names, the fixed keys and `extra` (rate-limit windows,
 * whose names the limiter chooses). Bounded by the user's own live keys, whatever else Redis holds.
 */
export async function dropUserKeys(
  redis: Redis,
  userId: string,
  extra: string[],
  timeoutMs: number,
): Promise<void> {
  const named = [
    userKeys.authState(userId),
    userKeys.viewVersion(userId),
    userKeys.replySlots(userId),
    ...extra,
  ];
  if (named.some((key) => !key.startsWith(userKeyPrefix(userId)))) {
    throw new Error("only the user's own keys may be dropped with them");
  }
  await withTimeout(redis.eval(DROP_USER_KEYS, [indexKey(userId), ...named], []), timeoutMs, "Redis");
}
