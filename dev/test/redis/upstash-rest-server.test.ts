import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type RedisStack, startRedisStack } from "./harness.ts";

let stack: RedisStack;
let redis: Redis;

beforeAll(async () => {
  stack = await startRedisStack();
  redis = new Redis({ url: stack.rest.url, token: stack.token, enableTelemetry: false });
});

afterAll(async () => {
  await stack?.stop();
});

const singleSchema = z.object({ result: z.unknown().optional(), error: z.string().optional() });
const batchSchema = z.array(singleSchema);

async function raw(
  pathAndQuery: string,
  init: { method?: string; body?: string | Uint8Array; base64?: boolean; token?: string | null } = {},
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers.Authorization = `Bearer ${init.token ?? stack.token}`;
  if (init.base64) headers["Upstash-Encoding"] = "base64";
  const res = await fetch(`${stack.rest.url}${pathAndQuery}`, {
    method: init.method ?? "POST",
    headers,
    body: init.body,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");

describe("official @upstash/redis client against the local REST front", () => {
  it("sets and gets strings, JSON, unicode, emoji and awkward values", async () => {
    expect(await redis.set("str", "hello")).toBe("OK");
    expect(await redis.get("str")).toBe("hello");

    await redis.set("obj", { a: 1, nested: { list: [1, "two", null] } });
    expect(await redis.get("obj")).toEqual({ a: 1, nested: { list: [1, "two", null] } });

    const unicode = "Grüße, 世界! 👩‍💻🚀 — ünïcödé";
    await redis.set("uni", unicode);
    expect(await redis.get("uni")).toBe(unicode);

    // Values that trip naive encoders: control bytes, something that looks like base64, "OK" itself.
    const awkward = '\u0000\u0001\u007f\u00ff line1\nline2\ttab \\ "quoted"';
    await redis.set("awkward", awkward);
    expect(await redis.get("awkward")).toBe(awkward);
    await redis.set("looks-b64", "T0s=");
    expect(await redis.get("looks-b64")).toBe("T0s=");
    await redis.set("ok-value", "OK");
    expect(await redis.get("ok-value")).toBe("OK");
    expect(await redis.mget("ok-value", "looks-b64", "missing")).toEqual(["OK", "T0s=", null]);

    expect(await redis.get("never-set")).toBeNull();
  });

  it("set options, incr, expire and ttl", async () => {
    expect(await redis.incr("counter")).toBe(1);
    expect(await redis.incrby("counter", 41)).toBe(42);
    expect(await redis.decr("counter")).toBe(41);
    expect(await redis.set("nx", "first", { nx: true })).toBe("OK");
    expect(await redis.set("nx", "second", { nx: true })).toBeNull();
    await redis.set("ttl-key", "v", { ex: 100 });
    const ttl = await redis.ttl("ttl-key");
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.expire("counter", 50)).toBe(1);
    expect(await redis.ttl("counter")).toBeGreaterThan(40);
    expect(await redis.ttl("no-such-key")).toBe(-2);
  });

  it("hashes: hset / hget / hgetall returns an object", async () => {
    expect(await redis.hset("user:1", { name: "Ada", age: 36, tags: ["x", "y"] })).toBe(3);
    expect(await redis.hget("user:1", "name")).toBe("Ada");
    expect(await redis.hgetall("user:1")).toEqual({ name: "Ada", age: 36, tags: ["x", "y"] });
    expect(await redis.hgetall("no-such-hash")).toBeNull();
    expect(await redis.hincrby("user:1", "age", 1)).toBe(37);
  });

  it("lists, sets and sorted sets", async () => {
    expect(await redis.rpush("list", "a", "b", "c")).toBe(3);
    expect(await redis.lpush("list", "z")).toBe(4);
    expect(await redis.lrange("list", 0, -1)).toEqual(["z", "a", "b", "c"]);
    expect(await redis.lpop("list")).toBe("z");
    expect(await redis.llen("list")).toBe(3);

    expect(await redis.sadd("set", "a", "b", "b")).toBe(2);
    expect((await redis.smembers("set")).sort()).toEqual(["a", "b"]);
    expect(await redis.sismember("set", "a")).toBe(1);

    expect(await redis.zadd("z", { score: 2, member: "two" }, { score: 1.5, member: "one" })).toBe(2);
    expect(await redis.zrange("z", 0, -1)).toEqual(["one", "two"]);
    expect(await redis.zrange("z", 0, -1, { withScores: true })).toEqual(["one", 1.5, "two", 2]);
    expect(await redis.zscore("z", "one")).toBe(1.5);
    expect(await redis.zincrby("z", 10, "one")).toBe(11.5);
  });

  it("mget, del, exists and scan", async () => {
    await redis.mset({ "scan:a": 1, "scan:b": 2, "scan:c": 3 });
    expect(await redis.mget("scan:a", "scan:b", "scan:missing")).toEqual([1, 2, null]);
    const found: string[] = [];
    let cursor: string | number = "0";
    do {
      const [next, keys]: [string, string[]] = await redis.scan(cursor, { match: "scan:*", count: 2 });
      found.push(...keys);
      cursor = next;
    } while (String(cursor) !== "0");
    expect(found.sort()).toEqual(["scan:a", "scan:b", "scan:c"]);
    expect(await redis.del("scan:a", "scan:b")).toBe(2);
    expect(await redis.exists("scan:a", "scan:c")).toBe(1);
  });

  it("eval, evalsha and a NOSCRIPT error that ratelimit-style fallbacks rely on", async () => {
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), 7}";
    expect(await redis.eval(script, ["lua-key"], ["from-lua"])).toEqual(["from-lua", 7]);
    const sha = await redis.scriptLoad(script);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await redis.evalsha(sha, ["lua-key"], ["again"])).toEqual(["again", 7]);
    await expect(redis.evalsha("0".repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("runs scripts with Upstash-only shebang flags and keeps their SHA1", async () => {
    const script = "#!lua flags=allow-key-locking,no-writes\nreturn redis.call('GET', KEYS[1])";
    const { createHash } = await import("node:crypto");
    const sha = createHash("sha1").update(script).digest("hex");
    await redis.set("flagged", "yes");
    await expect(redis.evalsha(sha, ["flagged"], [])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.eval(script, ["flagged"], [])).toBe("yes");
    expect(await redis.evalsha(sha, ["flagged"], [])).toBe("yes");
    expect(await redis.scriptLoad(script)).toBe(sha);
    expect(await redis.scriptExists(sha)).toEqual([1]);
    // no-writes is kept: the script is still refused a write.
    await expect(
      redis.eval(
        "#!lua flags=allow-key-locking,no-writes\nreturn redis.call('SET', KEYS[1], 'x')",
        ["w"],
        [],
      ),
    ).rejects.toThrow(/Write commands are not allowed/);
  });

  it("pipeline: results in order, a failing command does not stop the others", async () => {
    await redis.set("pipe:str", "not a number");
    const results = await redis
      .pipeline()
      .set("pipe:a", "1")
      .incr("pipe:str")
      .incr("pipe:a")
      .get("pipe:a")
      .exec({ keepErrors: true });
    expect(results.map((r) => r.error)).toEqual([
      undefined,
      expect.stringMatching(/ERR value is not an integer/),
      undefined,
      undefined,
    ]);
    expect(results.map((r) => r.result)).toEqual(["OK", undefined, 2, 2]);
    await expect(redis.pipeline().set("pipe:b", 1).incr("pipe:str").exec()).rejects.toThrow(
      /Command 2 \[ incr \] failed: ERR value is not an integer/,
    );
    expect(await redis.get("pipe:b")).toBe(1);
  });

  it("multi: runs as one transaction; a runtime error fails only its slot, as in Redis", async () => {
    await redis.set("tx:str", "text");
    const results = await redis
      .multi()
      .set("tx:a", "1")
      .incr("tx:str")
      .incrby("tx:a", 9)
      .exec({ keepErrors: true });
    expect(results[0]).toEqual({ result: "OK", error: undefined });
    expect(results[1]?.error).toMatch(/not an integer/);
    expect(results[2]).toEqual({ result: 10, error: undefined });

    // A command rejected while queueing aborts the whole transaction: nothing is applied.
    const aborted = await raw("/multi-exec", {
      body: JSON.stringify([
        ["SET", "tx:never", "1"],
        ["NOSUCHCOMMAND", "x"],
      ]),
    });
    expect(aborted.status).toBe(400);
    expect(singleSchema.parse(aborted.json).error).toMatch(/^EXECABORT .*NOSUCHCOMMAND/);
    expect(await redis.exists("tx:never")).toBe(0);
  });

  it("multi: concurrent transactions stay isolated", async () => {
    await redis.del("tx:counter");
    const txs = Array.from({ length: 20 }, (_, i) =>
      redis.multi().incr("tx:counter").get("tx:counter").lpush("tx:log", String(i)).exec(),
    );
    const results = await Promise.all(txs);
    // Inside each transaction GET sees exactly its own INCR, never another transaction's.
    for (const [incr, get] of results) expect(get).toBe(incr);
    expect(results.map(([incr]) => incr).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it("surfaces an unknown command and a denied command as thrown errors", async () => {
    await expect(redis.exec(["NOSUCHCOMMAND", "a"])).rejects.toThrow(/ERR unknown command/);
    await expect(redis.exec(["MONITOR"])).rejects.toThrow(/not available over the REST API/);
    await expect(redis.exec(["BLPOP", "some-list", "0"])).rejects.toThrow(/timeout 0/);
  });

  it("rejects a wrong token with 401 and the client throws", async () => {
    const wrong = new Redis({ url: stack.rest.url, token: "wrong", enableTelemetry: false, retry: false });
    await expect(wrong.get("str")).rejects.toThrow(/Unauthorized/);
  });

  it("without base64 (responseEncoding: false) and without automatic deserialization", async () => {
    const plain = new Redis({
      url: stack.rest.url,
      token: stack.token,
      responseEncoding: false,
      enableTelemetry: false,
    });
    await plain.set("plain", "Grüße 👋");
    expect(await plain.get("plain")).toBe("Grüße 👋");
    await plain.hset("plain:h", { a: "1", b: "x" });
    expect(await plain.hgetall("plain:h")).toEqual({ a: 1, b: "x" });

    const noDeser = new Redis({
      url: stack.rest.url,
      token: stack.token,
      automaticDeserialization: false,
      enableTelemetry: false,
    });
    await noDeser.set("raw-json", { a: 1 });
    expect(await noDeser.get("raw-json")).toBe('{"a":1}');
    expect(await noDeser.incr("raw-counter")).toBe(1);
  });

  it("hands out Upstash-Sync-Token so read-your-writes has a token to echo", async () => {
    const client = new Redis({ url: stack.rest.url, token: stack.token, enableTelemetry: false });
    await client.set("ryw", "1");
    const first = Number(client.readYourWritesSyncToken);
    await client.get("ryw");
    expect(Number(client.readYourWritesSyncToken)).toBeGreaterThan(first);
  });

  it("blocking commands with a timeout run on their own connection", async () => {
    await redis.del("queue");
    const popped = redis.exec(["BLPOP", "queue", "5"]);
    // The shared connection stays usable while BLPOP waits.
    expect(await redis.ping()).toBe("PONG");
    await redis.rpush("queue", "job-1");
    expect(await popped).toEqual(["queue", "job-1"]);
    // A timeout that runs out answers null rather than an error.
    expect(await redis.exec(["BLPOP", "empty-queue", "0.1"])).toBeNull();
  });

  it("subscribe streams messages as server-sent events", async () => {
    const subscriber = redis.subscribe<string>(["news"]);
    const subscribed = new Promise<number>((resolve) => subscriber.on("subscribe", resolve));
    const received = new Promise<{ channel: string; message: unknown }>((resolve) =>
      subscriber.on("message", resolve),
    );
    expect(await subscribed).toBe(1);
    expect(await redis.publish("news", { headline: "hi" })).toBe(1);
    expect(await received).toEqual({ channel: "news", message: { headline: "hi" } });
    await subscriber.unsubscribe();
  });

  it("@upstash/ratelimit (the version the edge uses) works against it", async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(3, "10 s"),
      prefix: `rl-test-${Date.now()}`,
      analytics: false,
    });
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await limiter.limit("user-1")).success);
    expect(outcomes).toEqual([true, true, true, false]);
    expect((await limiter.limit("user-2")).success).toBe(true);

    const fixed = new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(2, "10 s", 2),
      prefix: `rl-bucket-${Date.now()}`,
    });
    expect((await fixed.limit("k")).remaining).toBe(1);
  });
});

describe("raw REST protocol", () => {
  it("JSON body command, with and without Upstash-Encoding: base64", async () => {
    const set = await raw("/", { body: JSON.stringify(["SET", "raw:k", "héllo", "EX", 100]) });
    expect(set).toMatchObject({ status: 200, json: { result: "OK" } });
    expect(set.headers.get("upstash-sync-token")).toMatch(/^\d+$/);

    expect((await raw("/", { body: JSON.stringify(["GET", "raw:k"]) })).json).toEqual({ result: "héllo" });
    expect((await raw("/", { body: JSON.stringify(["GET", "raw:k"]), base64: true })).json).toEqual({
      result: b64("héllo"),
    });
    // "OK" stays literal at top level; integers, nulls and arrays stay JSON; nested strings are encoded.
    expect((await raw("/", { body: JSON.stringify(["SET", "raw:n", "5"]), base64: true })).json).toEqual({
      result: "OK",
    });
    expect((await raw("/", { body: JSON.stringify(["INCR", "raw:n"]), base64: true })).json).toEqual({
      result: 6,
    });
    expect((await raw("/", { body: JSON.stringify(["GET", "raw:none"]), base64: true })).json).toEqual({
      result: null,
    });
    expect(
      (await raw("/", { body: JSON.stringify(["MGET", "raw:k", "raw:none", "raw:n"]), base64: true })).json,
    ).toEqual({ result: [b64("héllo"), null, b64("6")] });
    // EVAL returning nested arrays with mixed types.
    expect(
      (await raw("/", { body: JSON.stringify(["EVAL", "return {1, 'a', {'b', 2}}", 0]), base64: true })).json,
    ).toEqual({ result: [1, b64("a"), [b64("b"), 2]] });
  });

  it("keeps 64-bit integers exact and bytes binary-safe", async () => {
    await raw("/", { body: JSON.stringify(["SET", "raw:big", "9223372036854775806"]) });
    const res = await fetch(`${stack.rest.url}/`, {
      method: "POST",
      headers: { Authorization: `Bearer ${stack.token}` },
      body: JSON.stringify(["INCR", "raw:big"]),
    });
    expect(await res.text()).toBe('{"result":9223372036854775807}');

    // Bytes that are not UTF-8, written via the path form's %XX escapes, read back exactly via base64.
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);
    const encoded = [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
    expect((await raw(`/set/raw:bin/${encoded}`)).json).toEqual({ result: "OK" });
    expect((await raw("/get/raw:bin", { method: "GET", base64: true })).json).toEqual({ result: b64(bytes) });
    expect((await raw("/strlen/raw:bin", { method: "GET" })).json).toEqual({ result: 5 });
  });

  it("path form: args in the URL, POST body as last arg, query params after it, _token", async () => {
    expect((await raw("/set/path:k/a%2Fb%20c", { method: "GET" })).json).toEqual({ result: "OK" });
    expect((await raw("/get/path:k", { method: "GET" })).json).toEqual({ result: "a/b c" });
    const body = JSON.stringify({ posted: true });
    expect((await raw("/set/path:json?EX=100", { body })).json).toEqual({ result: "OK" });
    expect((await raw("/get/path:json", { method: "GET" })).json).toEqual({ result: body });
    const ttl = singleSchema.parse((await raw("/ttl/path:json", { method: "GET" })).json).result;
    expect(ttl).toBeGreaterThan(90);
    expect((await raw(`/get/path:k?_token=${stack.token}`, { method: "GET", token: null })).json).toEqual({
      result: "a/b c",
    });
  });

  it("pipeline and multi-exec answer an array of {result}|{error}", async () => {
    const pipe = await raw("/pipeline", {
      body: JSON.stringify([
        ["SET", "p:k", "v"],
        ["INCR", "p:k"],
        ["GET", "p:k"],
        ["SUBSCRIBE", "x"],
      ]),
      base64: true,
    });
    expect(pipe.status).toBe(200);
    const slots = batchSchema.parse(pipe.json);
    expect(slots[0]).toEqual({ result: "OK" });
    expect(slots[1]?.error).toMatch(/^ERR value is not an integer/);
    expect(slots[2]).toEqual({ result: b64("v") });
    expect(slots[3]?.error).toMatch(/not available over the REST API/);

    const tx = await raw("/multi-exec", {
      body: JSON.stringify([
        ["SET", "m:k", "1"],
        ["INCR", "m:k"],
        ["HSET", "m:k", "f", "v"],
      ]),
    });
    expect(tx.json).toEqual([
      { result: "OK" },
      { result: 2 },
      { error: expect.stringMatching(/^WRONGTYPE/) },
    ]);
  });

  it("errors: 400 for a failing command, 401 without a token, 405 for DELETE, 400 for a bad body", async () => {
    const unknown = await raw("/", { body: JSON.stringify(["NOSUCHCOMMAND"]) });
    expect(unknown.status).toBe(400);
    expect(singleSchema.parse(unknown.json).error).toMatch(/^ERR unknown command/);
    expect(await raw("/", { body: JSON.stringify(["GET", "x"]), token: null })).toMatchObject({
      status: 401,
      json: { error: "Unauthorized" },
    });
    expect(await raw("/", { body: JSON.stringify(["GET", "x"]), token: "nope" })).toMatchObject({
      status: 401,
    });
    expect((await raw("/get/x", { method: "DELETE" })).status).toBe(405);
    expect((await raw("/", { body: "{not json" })).status).toBe(400);
    expect((await raw("/", { body: JSON.stringify([["nested"]]) })).status).toBe(400);
  });
});
