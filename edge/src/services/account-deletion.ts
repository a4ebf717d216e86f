import { uuidv7 } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { apiKeys, jobs, users } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { putCache } from "../lib/cache.ts";
import { withTimeout } from "../lib/timeout.ts";

export const PURGE_USER_VECTORS_JOB = "purge-user-vectors";

/**
 * Deletes an account for good. One transaction removes the user row and, by cascade, everything that
 * hangs off it (entries, analyses, embeddings, topics, reflections, sessions, tokens, keys, jobs). A
 * purge job that does not reference the user row survives it and removes the vectors from Chroma on
 * the nodes. Caches are told before the call returns, so no token or key works a moment longer, and
 * any job still in flight for this user finds no rows to write into when it lands.
 */
export async function deleteAccount(services: Services, userId: string): Promise<{ purgeJobId: string }> {
  const { db, redis } = services;
  const purgeJobId = uuidv7();
  const keyHashes = await db.transaction(async (tx) => {
    const keys = await tx
      .select({ keyHash: apiKeys.keyHash })
      .from(apiKeys)
      .where(eq(apiKeys.userId, userId));
    await tx.delete(users).where(eq(users.id, userId));
    // Deliberately without userId: the row must outlive the user it cleans up after.
    await tx.insert(jobs).values({ id: purgeJobId, kind: PURGE_USER_VECTORS_JOB, payload: { userId } });
    return keys.map((k) => k.keyHash);
  });

  // Key tombstones hold no user id; the user's own cached auth state is removed outright, so the next
  // request reads Postgres, finds no user and refuses the token.
  await Promise.all(keyHashes.map((hash) => putCache(redis, "apiKey", hash, { deleted: true })));
  await dropUserKeys(services, userId);
  return { purgeJobId };
}

/**
 * Removes every Redis key that names the user: cached views and auth state, idempotency records,
 * rate-limit windows, query vectors.
 */
async function dropUserKeys(services: Services, userId: string): Promise<void> {
  await withTimeout(
    services.redis.del(`inkwell:cache:authState:${userId}`, `inkwell:uv:${userId}`),
    2_000,
    "Redis",
  ).catch(() => undefined);
  const patterns = [
    `inkwell:view:*:${userId}:*`,
    `inkwell:idem:${userId}:*`,
    `inkwell:rl:*user:${userId}*`,
    `inkwell:qemb:${userId}:*`,
  ];
  try {
    for (const pattern of patterns) {
      let cursor = "0";
      // Bounded: a user's key count is small, and a scan that runs long is cut off by the timeout.
      for (let rounds = 0; rounds < 100; rounds++) {
        const [next, keys] = await withTimeout(
          services.redis.scan(cursor, { match: pattern, count: 500 }),
          2_000,
          "Redis",
        );
        if (keys.length > 0) await withTimeout(services.redis.del(...keys), 2_000, "Redis");
        cursor = String(next);
        if (cursor === "0") break;
      }
    }
  } catch {
    // What is left expires with its TTL (minutes) and is unreachable: the version key moved on.
    console.warn(JSON.stringify({ level: "warn", msg: "could not drop cached keys of a deleted account" }));
  }
}
