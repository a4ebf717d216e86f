import { type Entry, entrySchema, pageSchema } from "@inkwell/shared";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { json } from "../entries/helpers.ts";
import { call, edgeEnv, registerUser } from "../harness.ts";

const MARKER = "Wombatlantern";

function testRedis(): Redis {
  // Values exactly as stored: nothing is parsed on the way out.
  return new Redis({
    url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
    token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    automaticDeserialization: false,
  });
}

/** Every key naming the user, found by scanning the whole keyspace, with what it holds. */
async function dumpRedisOf(userId: string): Promise<Map<string, string>> {
  const redis = testRedis();
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, page] = await redis.scan(cursor, { match: `*${userId}*`, count: 1000 });
    keys.push(...page);
    cursor = String(next);
  } while (cursor !== "0");
  const dump = new Map<string, string>();
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === "string") dump.set(key, String(await redis.get(key)));
    else if (type === "zset")
      dump.set(key, JSON.stringify(await redis.zrange(key, 0, -1, { withScores: true })));
    else if (type === "hash") dump.set(key, JSON.stringify(await redis.hgetall(key)));
    else if (type === "list") dump.set(key, JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === "set") dump.set(key, JSON.stringify(await redis.smembers(key)));
  }
  return dump;
}

describe("cached views in Redis", () => {
  it("hold the user's entries only as ciphertext, and still serve them", async () => {
    const user = await registerUser();
    const created = entrySchema.parse(
      await json(
        await call("/v1/entries", {
          token: user.accessToken,
          body: { title: `${MARKER} title`, content: `Today the ${MARKER} walked past the bakery twice.` },
        }),
        201,
      ),
    );
    const read = async () => {
      const one = entrySchema.parse(
        await json(await call(`/v1/entries/${created.id}`, { token: user.accessToken }), 200),
      );
      const list = pageSchema(entrySchema).parse(
        await json(await call("/v1/entries", { token: user.accessToken }), 200),
      );
      return { one, list };
    };
    // The first reads fill the cache, the second are served from it: the same entry, in clear, both times.
    const first = await read();
    const second = await read();
    expect(second).toEqual(first);
    expect(second.one.content).toContain(MARKER);
    expect(second.list.items.map((e: Entry) => e.id)).toContain(created.id);

    const dump = await dumpRedisOf(user.id);
    const views = [...dump].filter(([key]) => key.includes(":view:"));
    expect(views.length).toBeGreaterThanOrEqual(2);
    for (const [, value] of views) expect(value).toMatch(/^ik1\.\d+\.[A-Za-z0-9_-]+$/);
    expect(JSON.stringify([...dump])).not.toContain(MARKER);
  });

  it("finds a marker stored in plain text (the dump can fail)", async () => {
    const user = await registerUser();
    await testRedis().set(`inkwell:u:{${user.id}}:planted`, `a ${MARKER} in clear`, { ex: 60 });
    expect(JSON.stringify([...(await dumpRedisOf(user.id))])).toContain(MARKER);
  });

  it("treats a value moved under another view key as a miss and serves fresh rows", async () => {
    const user = await registerUser();
    const make = async (content: string) =>
      entrySchema.parse(
        await json(await call("/v1/entries", { token: user.accessToken, body: { content } }), 201),
      );
    const a = await make(`first ${MARKER}`);
    const b = await make("second entry, nothing to see");
    await call(`/v1/entries/${a.id}`, { token: user.accessToken });
    await call(`/v1/entries/${b.id}`, { token: user.accessToken });
    const dump = await dumpRedisOf(user.id);
    const keyOf = (id: string) =>
      [...dump.keys()].find((key) => key.includes(":view:entry:") && key.endsWith(id));
    const [keyA, keyB] = [keyOf(a.id), keyOf(b.id)];
    expect(keyA && keyB).toBeTruthy();
    // Someone with write access to Redis swaps A's sealed view into B's place.
    await testRedis().set(keyB as string, dump.get(keyA as string) as string, { ex: 60 });
    const served = entrySchema.parse(
      await json(await call(`/v1/entries/${b.id}`, { token: user.accessToken }), 200),
    );
    expect(served.id).toBe(b.id);
    expect(served.content).toBe("second entry, nothing to see");
  });
});

describe("idempotency records in Redis", () => {
  it("keep the stored answer only as ciphertext, and replay it in clear", async () => {
    const user = await registerUser();
    const key = `idem-${crypto.randomUUID()}`;
    const send = () =>
      call("/v1/entries", {
        token: user.accessToken,
        headers: { "Idempotency-Key": key },
        body: { content: `The ${MARKER} kept a diary of its own.` },
      });
    const first = await json<{ id: string; content: string }>(await send(), 201);
    const again = await send();
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await json(again, 201)).toEqual(first);
    expect(first.content).toContain(MARKER);

    const dump = await dumpRedisOf(user.id);
    const records = [...dump].filter(([name]) => name.includes(":idem:"));
    expect(records).toHaveLength(1);
    const stored = JSON.parse(records[0]?.[1] ?? "{}") as { state: string; body: string };
    expect(stored.state).toBe("done");
    expect(stored.body).toMatch(/^ik1\.\d+\.[A-Za-z0-9_-]+$/);
    expect(JSON.stringify([...dump])).not.toContain(MARKER);
  });
});
