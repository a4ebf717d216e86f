import { sha256Hex } from "@inkwell/shared";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { userKey } from "../../src/lib/user-keys.ts";
import {
  cacheQueryEmbedding,
  queryEmbeddingKey,
  readCachedQueryEmbedding,
} from "../../src/services/semantic-search.ts";
import { edgeEnv, registerUser } from "../harness.ts";
import { keyring } from "./helpers.ts";

const QUERY = "when did I last feel Wombatlantern calm";
const VECTOR = { model: "use-lite", embedding: [0.125, -0.5, 0.75] };

/** Values exactly as stored. */
function rawRedis(): Redis {
  return new Redis({
    url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
    token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    automaticDeserialization: false,
  });
}

describe("the query-embedding cache", () => {
  it("names a query with the user's own key and keeps the vector sealed, yet serves it back", async () => {
    const user = await registerUser();
    const services = { redis: rawRedis(), dataKeys: keyring() };
    await cacheQueryEmbedding(services, user.id, QUERY, VECTOR);

    const key = await queryEmbeddingKey(services.dataKeys, user.id, QUERY);
    // The old, unkeyed name could be recomputed by anyone holding a dump and a guess.
    expect(key).not.toBe(userKey(user.id, "qemb", await sha256Hex(QUERY)));
    expect(key).not.toContain(await sha256Hex(QUERY));
    const stored = String(await services.redis.get(key));
    expect(stored).toMatch(/^ik1\.\d+\./);
    expect(stored).not.toContain("0.125");
    expect(stored).not.toContain("use-lite");

    // The same question again finds it; in a fresh request (a new keyring) too.
    expect(await readCachedQueryEmbedding(services, user.id, QUERY)).toEqual(VECTOR);
    expect(await readCachedQueryEmbedding({ ...services, dataKeys: keyring() }, user.id, QUERY)).toEqual(
      VECTOR,
    );
    expect(await readCachedQueryEmbedding(services, user.id, `${QUERY}?`)).toBeUndefined();
  });

  it("gives another writer's same query another name, and a value moved between writers does not open", async () => {
    const [a, b] = [await registerUser(), await registerUser()];
    const services = { redis: rawRedis(), dataKeys: keyring() };
    const keyA = await queryEmbeddingKey(services.dataKeys, a.id, QUERY);
    const keyB = await queryEmbeddingKey(services.dataKeys, b.id, QUERY);
    expect(keyA.replace(a.id, "")).not.toBe(keyB.replace(b.id, ""));

    await cacheQueryEmbedding(services, a.id, QUERY, VECTOR);
    await services.redis.set(keyB, String(await services.redis.get(keyA)), { ex: 60 });
    expect(await readCachedQueryEmbedding(services, b.id, QUERY)).toBeUndefined();
    expect(await readCachedQueryEmbedding(services, a.id, QUERY)).toEqual(VECTOR);
  });
});
