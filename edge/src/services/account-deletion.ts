import { uuidv7 } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { apiKeys, jobs, userDataKeys, users } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { putCache } from "../lib/cache.ts";
import { log } from "../lib/log.ts";
import { principalLimit, rateLimitWindowKeys } from "../lib/rate-limit.ts";
import { dropUserKeys } from "../lib/user-keys.ts";
import { tombstoneUser } from "./vector-tombstones.ts";
import { lockWriter } from "./writer-locks.ts";

export const PURGE_USER_VECTORS_JOB = "purge-user-vectors";

/**
 * Deletes an account for good. The user's data keys go first (crypto-shredding: every ciphertext of the
 * account, in this database and in every copy of it, becomes unreadable once no wrapped key is left that
 * the root keys can open; docs/design/encryption.md). The same transaction then removes the user row and, by cascade, everything that
 * hangs off it (entries, analyses, embeddings, topics, reflections, sessions, tokens, keys, jobs). A
 * purge job that does not reference the user row survives it and removes the vectors from Chroma on
 * the nodes. Caches are told before the call returns, so no token or key works a moment longer, and
 * any job still in flight for this user finds no rows to write into when it lands. Every Redis key of
 * the user (cached views and auth state, idempotency records, query vectors, rate-limit windows, reply
 * slots) goes in one step: they live under the user's prefix, the varying ones named in the user's index.
 * `record` runs inside the deleting transaction (an administrator's audit row).
 */
export async function deleteAccount(
  services: Services,
  userId: string,
  record?: (tx: Tx, purgeJobId: string) => Promise<void>,
): Promise<{ purgeJobId: string }> {
  const { db, redis } = services;
  const purgeJobId = uuidv7();
  const keyHashes = await db.transaction(async (tx) => {
    // The user's row first, as every write of the writer's rows takes it first (writer-locks.ts): writes
    // under way finish before the cascade starts, later ones wait and then find the account gone, and no
    // API key can be added between reading the keys and the delete.
    await lockWriter(tx, userId, "update");
    const keys = await tx
      .select({ keyHash: apiKeys.keyHash })
      .from(apiKeys)
      .where(eq(apiKeys.userId, userId));
    await tx.delete(userDataKeys).where(eq(userDataKeys.userId, userId));
    await tx.delete(users).where(eq(users.id, userId));
    // Results in flight for the writer lose their job rows here; the tombstone lets them purge again.
    await tombstoneUser(tx, userId);
    // Deliberately without userId: the row must outlive the user it cleans up after.
    await tx.insert(jobs).values({ id: purgeJobId, kind: PURGE_USER_VECTORS_JOB, payload: { userId } });
    // An administrator's audit row commits with the deletion or not at all.
    await record?.(tx, purgeJobId);
    return keys.map((k) => k.keyHash);
  });
  services.dataKeys.forget(userId);

  // Key tombstones hold no user id; the user's own keys (cached auth state among them) are removed
  // outright, so the next request reads Postgres, finds no user and refuses the token.
  await Promise.all(keyHashes.map((hash) => putCache(redis, "apiKey", hash, { deleted: true })));
  try {
    const { policy, keyPrefix, identifier } = principalLimit(services.config, userId);
    await dropUserKeys(redis, userId, rateLimitWindowKeys(policy, keyPrefix, identifier), 5_000);
  } catch {
    // What is left expires with its TTL (a day at most) and is unreachable: no token of the user works.
    log.warn("could not drop cached keys of a deleted account");
  }
  return { purgeJobId };
}
