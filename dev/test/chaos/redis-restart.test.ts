import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack } from "../../src/testing/test-stack.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

/**
 * The campaign's Redis restart is a kill -9: like Upstash's durable store, the local Redis must come
 * back with what it acknowledged, or an Idempotency-Key claimed before the crash is free again after it.
 */
describe("the stack's Redis across a kill and restart", () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startTestStack(["redis"], "redis-restart");
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("keeps a key written just before it was killed, with its expiry", async () => {
    const before = new Redis(stack.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await before.connect();
    const key = `idem:${crypto.randomUUID()}`;
    expect(await before.set(key, JSON.stringify({ state: "done", status: 201 }), "EX", 86_400, "NX")).toBe(
      "OK",
    );
    before.disconnect();

    await stack.restartRedis();

    const after = new Redis(stack.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await after.connect();
    try {
      expect(JSON.parse((await after.get(key)) ?? "null")).toEqual({ state: "done", status: 201 });
      const ttl = await after.ttl(key);
      expect(ttl).toBeGreaterThan(86_000);
      // A retry's claim of the same key is refused: the first request's answer is still there.
      expect(await after.set(key, "{}", "EX", 60, "NX")).toBeNull();
    } finally {
      after.disconnect();
    }
  });
});
