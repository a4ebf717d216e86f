import { Client, type FlowControlInfo } from "@upstash/qstash";
import { afterEach, describe, expect, it } from "vitest";
import { parseFlowControl } from "../../src/qstash/flow-control.ts";
import type { QStashServer } from "../../src/qstash/server.ts";
import {
  eventually,
  type Gate,
  header,
  startGate,
  startRecorder,
  startStandIn,
  TOKEN,
  tempDataDir,
} from "./harness.ts";

type WithState = { state: string };

describe("Upstash-Flow-Control-Value", () => {
  it("reads the client's format, with a one-second default period", () => {
    expect(parseFlowControl("k", "parallelism=2, rate=10, period=1m")).toEqual({
      ok: true,
      spec: { key: "k", parallelism: 2, rate: 10, periodMs: 60_000 },
    });
    expect(parseFlowControl("k", "rate=5")).toEqual({
      ok: true,
      spec: { key: "k", rate: 5, periodMs: 1_000 },
    });
    expect(parseFlowControl("k", "parallelism=1, period=30")).toEqual({
      ok: true,
      spec: { key: "k", parallelism: 1, periodMs: 30_000 },
    });
    expect(parseFlowControl(undefined, "rate=5")).toEqual({ ok: true });
  });

  it.each([
    undefined,
    "",
    "parallelism=0",
    "rate=-1",
    "rate=1.5",
    "period=1m",
    "speed=3",
    "parallelism=2; rate=3",
    "rate=3, period=soon",
  ])("rejects %j", (value) => {
    expect(parseFlowControl("k", value).ok).toBe(false);
  });
});

describe("flow control through the official client", () => {
  const cleanup: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(): Promise<{ qstash: QStashServer; client: Client; gate: Gate }> {
    const data = await tempDataDir();
    cleanup.push(data.remove);
    const gate = await startGate();
    cleanup.push(gate.close);
    const qstash = await startStandIn({ dataDir: data.dir });
    cleanup.push(qstash.close);
    return { qstash, client: new Client({ baseUrl: qstash.url, token: TOKEN, retry: false }), gate };
  }

  function flowInfo(client: Client, key: string): () => Promise<FlowControlInfo> {
    return () => client.flowControl.get(key);
  }

  it("never has more than `parallelism` deliveries of a key in flight; the rest wait, still pending", async () => {
    const { client, gate } = await setup();
    const key = "entries-user-1";
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { messageId } = await client.publishJSON({
        url: `${gate.url}/work/${i}`,
        body: { i },
        flowControl: { key, parallelism: 2 },
      });
      ids.push(messageId);
    }

    await Promise.all([gate.nth(0), gate.nth(1)]);
    const info = await eventually(flowInfo(client, key), (i) => i.waitListSize === 4);
    expect(info).toMatchObject({
      flowControlKey: key,
      parallelismMax: 2,
      parallelismCount: 2,
      isPaused: false,
    });
    expect(gate.open()).toBe(2);

    // A waiting message is neither failed nor in progress, and reports its key as QStash does.
    const waiting = await client.messages.get(ids[5]!);
    expect(waiting).toMatchObject({ flowControlKey: key, parallelism: 2 });
    expect((waiting as unknown as WithState).state).toBe("CREATED");

    // Each release lets exactly one more through.
    for (let i = 0; i < 6; i++) {
      gate.arrived[i]!.release();
      if (i + 2 < 6) await gate.nth(i + 2);
    }
    const states = await eventually(
      () =>
        Promise.all(ids.map(async (id) => ((await client.messages.get(id)) as unknown as WithState).state)),
      (s) => s.every((state) => state === "DELIVERED"),
    );
    expect(states).toHaveLength(6);
    expect(gate.maxOpen()).toBe(2);
    expect(gate.arrived.map((r) => header(r, "upstash-message-id")).sort()).toEqual([...ids].sort());
  });

  it("keeps keys independent, also within one batch", async () => {
    const { client, gate } = await setup();
    await client.batchJSON([
      { url: `${gate.url}/a`, body: { n: 1 }, flowControl: { key: "key-a", parallelism: 1 } },
      { url: `${gate.url}/a`, body: { n: 2 }, flowControl: { key: "key-a", parallelism: 1 } },
      { url: `${gate.url}/b`, body: { n: 1 }, flowControl: { key: "key-b", parallelism: 1 } },
    ]);

    // key-a's first delivery is held open, yet key-b's still goes out.
    const first = await Promise.all([gate.nth(0), gate.nth(1)]);
    expect(first.map((r) => r.path).sort()).toEqual(["/a", "/b"]);
    await eventually(flowInfo(client, "key-a"), (i) => i.waitListSize === 1 && i.parallelismCount === 1);
    expect(await client.flowControl.get("key-b")).toMatchObject({ waitListSize: 0, parallelismCount: 1 });

    for (const held of first) held.release();
    const last = await gate.nth(2);
    expect(last.path).toBe("/a");
    expect(JSON.parse(last.body.toString())).toEqual({ n: 2 });
    last.release();
  });

  it("starts at most `rate` deliveries of a key per period", async () => {
    const data = await tempDataDir();
    cleanup.push(data.remove);
    const destination = await startRecorder();
    cleanup.push(destination.close);
    const qstash = await startStandIn({ dataDir: data.dir });
    cleanup.push(qstash.close);
    const client = new Client({ baseUrl: qstash.url, token: TOKEN, retry: false });

    const key = "rate-key";
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { messageId } = await client.publishJSON({
        url: `${destination.url}/r/${i}`,
        body: { i },
        flowControl: { key, rate: 2, period: 1 },
      });
      ids.push(messageId);
    }
    const message = await client.messages.get(ids[0]!);
    expect(message).toMatchObject({ flowControlKey: key, rate: 2, period: 1 });

    await destination.nth(5);
    const received = [...destination.requests].sort((a, b) => a.receivedAt - b.receivedAt);
    const times = received.map((r) => r.receivedAt);
    // No one-second span sees more than two starts (a little slack for delivery jitter between requests).
    for (let i = 0; i + 2 < times.length; i++) {
      expect(times[i + 2]! - times[i]!).toBeGreaterThanOrEqual(950);
    }
    expect(times[5]! - times[0]!).toBeGreaterThanOrEqual(1_950);
    // Released in publish order, two per second (the two of one second may overtake each other on the wire).
    const pairs = [0, 2, 4].map((i) => [received[i]!.path, received[i + 1]!.path].sort());
    expect(pairs).toEqual([
      ["/r/0", "/r/1"],
      ["/r/2", "/r/3"],
      ["/r/4", "/r/5"],
    ]);
    await eventually(
      () =>
        Promise.all(ids.map(async (id) => ((await client.messages.get(id)) as unknown as WithState).state)),
      (states) => states.every((state) => state === "DELIVERED"),
    );
  });

  it("never delivers a waiting message that was cancelled", async () => {
    const { client, gate } = await setup();
    const key = "cancel-key";
    const first = await client.publishJSON({
      url: `${gate.url}/1`,
      body: {},
      flowControl: { key, parallelism: 1 },
    });
    const second = await client.publishJSON({
      url: `${gate.url}/2`,
      body: {},
      flowControl: { key, parallelism: 1 },
    });
    await gate.nth(0);
    await eventually(flowInfo(client, key), (i) => i.waitListSize === 1);
    await expect(client.messages.cancel(second.messageId)).resolves.toEqual({ cancelled: 1 });
    expect(await client.flowControl.get(key)).toMatchObject({ waitListSize: 0 });

    gate.arrived[0]!.release();
    const sentinel = await client.publishJSON({
      url: `${gate.url}/3`,
      body: {},
      flowControl: { key, parallelism: 1 },
    });
    const next = await gate.nth(1);
    expect(header(next, "upstash-message-id")).toBe(sentinel.messageId);
    next.release();
    expect(header(gate.arrived[0]!, "upstash-message-id")).toBe(first.messageId);
  });

  it("keeps the wait list across a restart, in order and within the limit", async () => {
    const data = await tempDataDir();
    cleanup.push(data.remove);
    const gate = await startGate();
    cleanup.push(gate.close);
    // A short grace period: the attempt held open at shutdown is abandoned and made again after the restart.
    const first = await startStandIn({ dataDir: data.dir, shutdownGraceMs: 50 });
    cleanup.push(first.close);
    const client = new Client({ baseUrl: first.url, token: TOKEN, retry: false });
    const key = "restart-key";
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { messageId } = await client.publishJSON({
        url: `${gate.url}/m/${i}`,
        body: { i },
        flowControl: { key, parallelism: 1 },
      });
      ids.push(messageId);
    }
    await gate.nth(0);
    await eventually(flowInfo(client, key), (i) => i.waitListSize === 2);
    await first.close();
    await eventually(
      async () => gate.open(),
      (open) => open === 0,
    );

    const second = await startStandIn({ dataDir: data.dir });
    cleanup.push(second.close);
    const client2 = new Client({ baseUrl: second.url, token: TOKEN, retry: false });
    expect(await client2.messages.get(ids[2]!)).toMatchObject({ flowControlKey: key, parallelism: 1 });

    const again = await gate.nth(1);
    await eventually(flowInfo(client2, key), (i) => i.waitListSize === 2 && i.parallelismCount === 1);
    expect(gate.open()).toBe(1);
    again.release();
    const secondMessage = await gate.nth(2);
    expect(gate.open()).toBe(1);
    secondMessage.release();
    const third = await gate.nth(3);
    expect(gate.open()).toBe(1);
    third.release();

    expect(gate.arrived.map((r) => header(r, "upstash-message-id"))).toEqual([
      ids[0],
      ids[0],
      ids[1],
      ids[2],
    ]);
    await eventually(
      () => client2.messages.get(ids[2]!),
      (m) => (m as unknown as WithState).state === "DELIVERED",
    );
  });

  it("answers 400 for a malformed flow control header", async () => {
    const { qstash, gate } = await setup();
    const publish = (headers: Record<string, string>) =>
      fetch(`${qstash.url}/v2/publish/${gate.url}/x`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...headers },
        body: "{}",
      });
    const cases: Array<Record<string, string>> = [
      { "Upstash-Flow-Control-Key": "k" },
      { "Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "parallelism=0" },
      { "Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "speed=3" },
      { "Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "rate=2, period=never" },
    ];
    for (const headers of cases) {
      const res = await publish(headers);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
    expect(gate.arrived).toHaveLength(0);
  });
});
