import { Client } from "@upstash/qstash";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRetryHintMs } from "../../src/qstash/retry-after.ts";
import { parseRetryDelay, retryDelayMs } from "../../src/qstash/retry-delay.ts";
import type { QStashServer } from "../../src/qstash/server.ts";
import {
  header,
  type Recorder,
  type Reply,
  startRecorder,
  startStandIn,
  TOKEN,
  tempDataDir,
} from "./harness.ts";

function delays(source: string, retries: number[]): Array<number | undefined> {
  const parsed = parseRetryDelay(source);
  if (!parsed.ok) throw new Error(parsed.error);
  return retries.map((r) => retryDelayMs(parsed.expression, r, 86_400_000));
}

describe("Upstash-Retry-Delay expressions", () => {
  it("evaluates the documented examples with `retried` counting retries from 0", () => {
    expect(delays("1000", [0, 1, 5])).toEqual([1000, 1000, 1000]);
    expect(delays("1000 * (1 + retried)", [0, 1, 2, 3])).toEqual([1000, 2000, 3000, 4000]);
    expect(delays("pow(2, retried) * 1000", [0, 1, 2, 3])).toEqual([1000, 2000, 4000, 8000]);
    expect(delays("max(1000, pow(2, retried) * 100)", [0, 3, 4])).toEqual([1000, 1000, 1600]);
    expect(delays("min(86400000, exp(2.5 * retried) * 1000)", [0, 1, 10])).toEqual([
      1000,
      Math.round(Math.exp(2.5) * 1000),
      86_400_000,
    ]);
  });

  it("follows arithmetic precedence and supports every documented function", () => {
    expect(delays("2 + 3 * 4", [0])).toEqual([14]);
    expect(delays("(2 + 3) * 4 - 10 / 5", [0])).toEqual([18]);
    expect(delays("-retried + 10", [4])).toEqual([6]);
    expect(delays("sqrt(16) + abs(-3) + floor(1.7) + ceil(1.2) + round(2.5)", [0])).toEqual([13]);
    expect(delays("min(5, retried, 9) + max(1, 2, 3)", [2])).toEqual([5]);
    expect(delays("1.5e3", [0])).toEqual([1500]);
  });

  it("caps at the ceiling, treats negatives as now, and leaves unusable results to the default", () => {
    expect(delays("retried * 1e12", [1])).toEqual([86_400_000]);
    expect(delays("-500", [0])).toEqual([0]);
    expect(delays("1 / (retried - retried)", [0])).toEqual([undefined]);
    expect(delays("sqrt(-1)", [0])).toEqual([undefined]);
  });

  it.each([
    "",
    "   ",
    "pow(2)",
    "pow(2, retried",
    "retried ** 2",
    "retried retried",
    "foo(1)",
    "Math.pow(2, 1)",
    "process.exit()",
    "constructor",
    "1000; 1",
    "1,2",
    "()",
    "retried % 2",
    "2 ^ retried",
    "sqrt()",
    `${"(".repeat(100)}1${")".repeat(100)}`,
  ])("rejects %j", (source) => {
    expect(parseRetryDelay(source).ok).toBe(false);
  });

  it("reads destination hints as seconds, Go durations or HTTP dates", () => {
    const now = Date.UTC(2026, 11, 2, 12, 0, 0);
    expect(parseRetryHintMs("10", now)).toBe(10_000);
    expect(parseRetryHintMs("0", now)).toBe(0);
    expect(parseRetryHintMs("6m5s", now)).toBe(365_000);
    expect(parseRetryHintMs("250ms", now)).toBe(250);
    expect(parseRetryHintMs("1.5s", now)).toBe(1_500);
    expect(parseRetryHintMs("Wed, 02 Dec 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryHintMs("soon", now)).toBeUndefined();
    expect(parseRetryHintMs("-5", now)).toBeUndefined();
  });
});

describe("custom retry delays through the official client", () => {
  let qstash: QStashServer;
  let data: { dir: string; remove(): Promise<void> };
  let client: Client;
  const recorders: Recorder[] = [];

  async function recorder(reply?: Parameters<typeof startRecorder>[0]): Promise<Recorder> {
    const r = await startRecorder(reply);
    recorders.push(r);
    return r;
  }

  beforeEach(async () => {
    data = await tempDataDir();
    // A 1.5 s cap on retry delays makes "a hint beyond the cap" cheap to show; the default backoff base is 10 ms.
    qstash = await startStandIn({ dataDir: data.dir, retryMaxDelayMs: 1_500 });
    client = new Client({ baseUrl: qstash.url, token: TOKEN, retry: false });
  });

  afterEach(async () => {
    await qstash.close();
    await Promise.all(recorders.splice(0).map((r) => r.close()));
    await data.remove();
  });

  it("waits as long as the retryDelay expression says instead of the default backoff", async () => {
    const destination = await recorder((i) => ({ status: i < 2 ? 500 : 200 }));
    const { messageId } = await client.publishJSON({
      url: `${destination.url}/linear`,
      body: { job: "linear" },
      retries: 3,
      retryDelay: "150 * (1 + retried)",
    });
    const attempts = await Promise.all([destination.nth(0), destination.nth(1), destination.nth(2)]);
    expect(attempts.map((a) => header(a, "upstash-retried"))).toEqual(["0", "1", "2"]);
    // The default backoff here would wait 10 ms and then 20 ms.
    expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(150);
    expect(attempts[2]!.receivedAt - attempts[1]!.receivedAt).toBeGreaterThanOrEqual(300);

    const message = await client.messages.get(messageId);
    expect(message.retryDelayExpression).toBe("150 * (1 + retried)");
    expect((message as unknown as { state: string }).state).toBe("DELIVERED");
  });

  it("applies retryDelay per message in a batch", async () => {
    const destination = await recorder((i) => ({ status: i === 0 ? 503 : 200 }));
    await client.batchJSON([
      { url: `${destination.url}/batched`, body: {}, retries: 1, retryDelay: "max(200, retried * 10)" },
    ]);
    const [first, second] = await Promise.all([destination.nth(0), destination.nth(1)]);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(200);
  });

  it.each(["pow(2, retried", "retried ** 2", "sleep(1000)", "1000; 1"])(
    "answers 400 for the invalid expression %j",
    async (retryDelay) => {
      const destination = await recorder();
      await expect(
        client.publishJSON({ url: `${destination.url}/never`, body: {}, retryDelay }),
      ).rejects.toMatchObject({ status: 400 });
      await expect(
        client.batchJSON([{ url: `${destination.url}/never`, body: {}, retryDelay }]),
      ).rejects.toMatchObject({ status: 400 });
      expect(destination.requests).toHaveLength(0);
    },
  );

  it("lets the destination's Retry-After and X-RateLimit-Reset set the next attempt", async () => {
    const destination = await recorder((i): Reply => {
      if (i === 0) return { status: 429, headers: { "Retry-After": "1" } };
      if (i === 1) return { status: 503, headers: { "X-RateLimit-Reset": "300ms" } };
      return { status: 200 };
    });
    // The hint wins over the publisher's own (much shorter) formula.
    await client.publishJSON({ url: `${destination.url}/limited`, body: {}, retries: 3, retryDelay: "10" });
    const attempts = await Promise.all([destination.nth(0), destination.nth(1), destination.nth(2)]);
    expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(1_000);
    expect(attempts[2]!.receivedAt - attempts[1]!.receivedAt).toBeGreaterThanOrEqual(300);
  });

  it("ignores a Retry-After beyond the retry delay cap, as QStash does", async () => {
    const destination = await recorder((i) =>
      i === 0 ? { status: 503, headers: { "Retry-After": "3600" } } : { status: 200 },
    );
    const { messageId } = await client.publishJSON({ url: `${destination.url}/far`, body: {}, retries: 1 });
    const [first, second] = await Promise.all([destination.nth(0), destination.nth(1)]);
    // Neither the hour asked for nor the 1.5 s cap: the 10 ms default backoff.
    expect(second.receivedAt - first.receivedAt).toBeLessThan(1_000);
    const message = await client.messages.get(messageId);
    expect((message as unknown as { state: string }).state).toBe("DELIVERED");
  });
});
