import { type Hardware, nodeHeartbeatSchema } from "@inkwell/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Heartbeat, type HeartbeatOptions, startHeartbeat } from "../src/heartbeat.ts";
import { createNodeState } from "../src/node-state.ts";
import { startFakeEdge } from "./helpers/fake-edge.ts";
import { randomSigningKey } from "./helpers/qstash-signer.ts";

const hardware: Hardware = {
  cpu: { model: "test cpu", cores: 4, arch: "x64" },
  memory: { totalMiB: 16_384, freeMiB: 8_000 },
  cuda: { available: false, reason: "nvidia-smi not found: no NVIDIA driver on this machine", gpus: [] },
  device: "cpu",
};

function recordingLog() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const record = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  return { lines, info: record("info"), warn: record("warn"), error: record("error") };
}

let heartbeat: Heartbeat | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await heartbeat?.stop();
  heartbeat = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function options(edgeUrl: string, overrides: Partial<HeartbeatOptions> = {}): HeartbeatOptions {
  return {
    edgeUrl,
    token: randomSigningKey(),
    intervalMs: 10,
    version: "0.1.0",
    publicUrl: "https://gpu.home.example",
    hardware: () => hardware,
    state: createNodeState(),
    log: recordingLog(),
    drainOnStop: false,
    ...overrides,
  };
}

describe("heartbeat", () => {
  it("sends the first beat at once, authenticated and matching the shared schema", async () => {
    const edge = await startFakeEdge([
      { status: 200, body: { nodeId: "node_abc", status: "healthy", nextHeartbeatInSeconds: 60 } },
    ]);
    cleanups.push(edge.close);
    const opts = options(`${edge.url}/`);
    heartbeat = startHeartbeat(opts);

    const outcome = await heartbeat.nextBeat();
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(edge.received).toHaveLength(1);
    const [beat] = edge.received;
    expect(beat?.method).toBe("POST");
    expect(beat?.path).toBe("/internal/nodes/heartbeat");
    expect(beat?.headers.authorization).toBe(`Bearer ${opts.token}`);
    expect(beat?.headers["content-type"]).toBe("application/json");
    expect(nodeHeartbeatSchema.parse(beat?.body)).toEqual({
      version: "0.1.0",
      url: "https://gpu.home.example",
      hardware,
      models: [],
      load: { queueDepth: 0, running: 0, capacity: 1 },
      draining: false,
    });
    expect(opts.state.nodeId).toBe("node_abc");
  });

  it("keeps beating after the edge answers 500, and never logs the token", async () => {
    const edge = await startFakeEdge([{ status: 500, body: { error: "boom" } }, { status: 503 }]);
    cleanups.push(edge.close);
    const log = recordingLog();
    const opts = options(edge.url, { log });
    heartbeat = startHeartbeat(opts);

    expect(await heartbeat.nextBeat()).toEqual({ ok: false, status: 500 });
    expect(await heartbeat.nextBeat()).toEqual({ ok: false, status: 503 });
    expect(await heartbeat.nextBeat()).toMatchObject({ ok: true, status: 200 });
    expect(edge.received).toHaveLength(3);
    expect(opts.state.nodeId).toBe("node_fake");

    expect(log.lines.filter((l) => l.level === "warn").map((l) => l.obj)).toEqual([
      { status: 500, error: undefined, failures: 1 },
      { status: 503, error: undefined, failures: 2 },
    ]);
    expect(log.lines.some((l) => l.msg === "heartbeat recovered")).toBe(true);
    expect(JSON.stringify(log.lines)).not.toContain(opts.token);
  });

  it("points at NODE_TOKEN when the edge rejects it", async () => {
    const edge = await startFakeEdge([{ status: 401 }]);
    cleanups.push(edge.close);
    const log = recordingLog();
    heartbeat = startHeartbeat(options(edge.url, { log }));
    expect(await heartbeat.nextBeat()).toEqual({ ok: false, status: 401 });
    expect(log.lines).toContainEqual({
      level: "error",
      obj: { status: 401, error: undefined, failures: 1 },
      msg: "edge rejected the heartbeat: check NODE_TOKEN",
    });
  });

  it("survives an unreachable edge", async () => {
    const edge = await startFakeEdge();
    await edge.close();
    heartbeat = startHeartbeat(options(edge.url));
    expect(await heartbeat.nextBeat()).toEqual({ ok: false, error: "ECONNREFUSED" });
    expect(await heartbeat.nextBeat()).toEqual({ ok: false, error: "ECONNREFUSED" });
  });

  it("tells the edge it is draining when stopped, then stops", async () => {
    const edge = await startFakeEdge();
    cleanups.push(edge.close);
    heartbeat = startHeartbeat(options(edge.url, { drainOnStop: true }));
    await heartbeat.nextBeat();
    await heartbeat.stop();
    const last = nodeHeartbeatSchema.parse(edge.received.at(-1)?.body);
    expect(last.draining).toBe(true);
    await expect(heartbeat.nextBeat()).resolves.toEqual({ ok: false, error: "stopped" });
  });
});

describe("heartbeat scheduling", () => {
  function fakeFetch(replies: Response[]) {
    const calls: string[] = [];
    const fn = vi.fn(async (input: string | URL | Request) => {
      calls.push(String(input));
      return (
        replies.shift() ??
        Response.json({ nodeId: "node_sched", status: "healthy", nextHeartbeatInSeconds: 30 })
      );
    });
    return { fn: fn as unknown as typeof fetch, calls };
  }

  it("waits as long as the edge asks, and HEARTBEAT_INTERVAL_MS when it does not say", async () => {
    vi.useFakeTimers();
    // The middle of the jitter range: exactly the interval asked.
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { fn, calls } = fakeFetch([new Response(null, { status: 204 })]);
    heartbeat = startHeartbeat(options("https://edge.test", { fetch: fn, intervalMs: 5000 }));

    await heartbeat.nextBeat();
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);

    await vi.advanceTimersByTimeAsync(29_999);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
  });

  it("jitters each wait by up to 10% either way, so nodes drift apart", async () => {
    vi.useFakeTimers();
    const random = vi.spyOn(Math, "random");
    const every10s = () =>
      Response.json({ nodeId: "node_abc", status: "healthy", nextHeartbeatInSeconds: 10 });
    const { fn, calls } = fakeFetch([every10s(), every10s(), every10s()]);
    heartbeat = startHeartbeat(options("https://edge.test", { fetch: fn, intervalMs: 5000 }));
    // Lowest draw: 9 s after the first beat.
    random.mockReturnValue(0);
    await heartbeat.nextBeat();
    await vi.advanceTimersByTimeAsync(8_999);
    expect(calls).toHaveLength(1);
    // Highest draw for the wait after the second beat: 11 s.
    random.mockReturnValue(0.999_999);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_999);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
  });

  it("backs off exponentially on failures, capped", async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const failing = Array.from({ length: 10 }, () => new Response("no", { status: 502 }));
    const { fn, calls } = fakeFetch(failing);
    heartbeat = startHeartbeat(
      options("https://edge.test", { fetch: fn, intervalMs: 1000, maxBackoffMs: 8000 }),
    );

    await heartbeat.nextBeat();
    const gaps: number[] = [];
    for (let i = 0; i < 4; i++) {
      let waited = 0;
      const before = calls.length;
      while (calls.length === before) {
        await vi.advanceTimersByTimeAsync(100);
        waited += 100;
      }
      gaps.push(waited);
    }
    expect(gaps).toEqual([2000, 4000, 8000, 8000]);
    vi.mocked(Math.random).mockRestore();
  });

  it("sends nothing more once stopped", async () => {
    vi.useFakeTimers();
    const { fn, calls } = fakeFetch([]);
    heartbeat = startHeartbeat(options("https://edge.test", { fetch: fn, intervalMs: 1000 }));
    await heartbeat.nextBeat();
    await heartbeat.stop();
    await vi.advanceTimersByTimeAsync(10 * 60 * 1000);
    expect(calls).toHaveLength(1);
  });
});
