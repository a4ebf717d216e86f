import { spawn } from "node:child_process";
import { seededRandom } from "@inkwell/models/seeded-random";
import { describe, expect, it } from "vitest";
import {
  carefully,
  isRetryable,
  RequestLog,
  type RequestRecord,
  retryAfterMs,
} from "../../src/chaos/careful-client.ts";
import { FAULT_KINDS, faultSchedule } from "../../src/chaos/faults.ts";
import {
  memoryOf,
  perMinute,
  recoveryTimes,
  statusCounts,
  table,
  treeRssMiB,
} from "../../src/chaos/report.ts";
import { parseDuration, parseFlags } from "../../src/commands/chaos.ts";

const record = (
  route: string,
  startedAt: number,
  endedAt: number,
  status: number | "network",
): RequestRecord => ({
  route,
  startedAt,
  endedAt,
  status,
  attempt: 1,
});

describe("the campaign's report maths", () => {
  it("recovery runs from a fault to the next success of what it disturbs", () => {
    const faults = [
      { kind: "redis-restart" as const, at: 1_000, restoredAt: 1_200 },
      { kind: "redis-restart" as const, at: 5_000, restoredAt: 5_100 },
      { kind: "node-kill" as const, at: 2_000, restoredAt: 9_000 },
      { kind: "edge-restart" as const, at: 20_000, restoredAt: 21_000 },
    ];
    const records = [
      // Started before the fault: does not count as recovery even though it ended after.
      record("POST /v1/entries", 900, 1_500, 201),
      record("POST /v1/entries", 1_100, 1_300, 503),
      record("POST /v1/entries", 1_400, 1_700, 201),
      record("GET /v1/search", 5_000, 5_250, 200),
    ];
    const recovery = recoveryTimes(faults, records, [
      { startedAt: 500, finishedAt: 2_500 },
      // Dispatched before the node died: its result was already on its way.
      { startedAt: 1_900, finishedAt: 2_100 },
      { startedAt: 9_200, finishedAt: 9_800 },
      { startedAt: 2_500, finishedAt: 3_000 },
    ]);
    expect(recovery).toEqual([
      { kind: "redis-restart", injected: 2, unrecovered: 0, p50Ms: 250, maxMs: 700 },
      { kind: "node-kill", injected: 1, unrecovered: 0, p50Ms: 1_000, maxMs: 1_000 },
      { kind: "edge-restart", injected: 1, unrecovered: 1, p50Ms: null, maxMs: null },
    ]);
  });

  it("counts answers by status", () => {
    const counts = statusCounts([
      record("a", 0, 1, 200),
      record("a", 0, 1, "network"),
      record("a", 0, 1, 200),
      record("a", 0, 1, 503),
      record("a", 0, 1, 503),
      record("a", 0, 1, 503),
    ]);
    expect(counts).toEqual({ "200": 2, "503": 3, network: 1 });
  });

  it("splits a soak into minutes per route: throughput, p50/p99 of successes, errors apart from 429", () => {
    const start = 10_000;
    const records = [
      ...Array.from({ length: 100 }, (_, i) =>
        record("GET /v1/search", start + i * 100, start + i * 100 + (i + 1), 200),
      ),
      record("GET /v1/search", start + 30_000, start + 30_500, 429),
      record("GET /v1/search", start + 30_000, start + 30_900, "network"),
      record("POST /v1/entries", start + 61_000, start + 61_040, 201),
      record("POST /v1/entries", start + 62_000, start + 62_060, 503),
    ];
    const rows = perMinute(records, start);
    expect(rows).toEqual([
      {
        minute: 1,
        route: "GET /v1/search",
        requests: 102,
        perSecond: 1.7,
        p50Ms: 50,
        p99Ms: 99,
        errors: 1,
        rateLimited: 1,
      },
      {
        minute: 2,
        route: "POST /v1/entries",
        requests: 2,
        perSecond: 0.03,
        p50Ms: 40,
        p99Ms: 40,
        errors: 1,
        rateLimited: 0,
      },
    ]);
  });

  it("lays a table out in padded columns", () => {
    expect(
      table(
        ["kind", "n"],
        [
          ["node-kill", 3],
          ["redis", null],
        ],
      ),
    ).toBe("kind       n\n---------  -\nnode-kill  3\nredis      –");
  });
});

describe("the campaign's schedule and client", () => {
  it("schedules each kind the asked number of times, in the middle of the load, the same for the same seed", () => {
    const a = faultSchedule(FAULT_KINDS, 3, seededRandom(42));
    const b = faultSchedule(FAULT_KINDS, 3, seededRandom(42));
    expect(a).toEqual(b);
    expect(a).toHaveLength(FAULT_KINDS.length * 3);
    for (const kind of FAULT_KINDS) expect(a.filter((f) => f.kind === kind)).toHaveLength(3);
    expect(a.every((f) => f.at >= 0.05 && f.at <= 0.8)).toBe(true);
    expect(a.map((f) => f.at)).toEqual([...a.map((f) => f.at)].sort((x, y) => x - y));
    expect(faultSchedule(FAULT_KINDS, 3, seededRandom(43))).not.toEqual(a);
  });

  it("retries 503, 429 and network errors with the same request, honouring Retry-After, and returns anything else", async () => {
    const answers: (Response | Error)[] = [
      new Error("connection refused"),
      new Response(null, { status: 503, headers: { "Retry-After": "0" } }),
      new Response(null, { status: 429, headers: { "Retry-After": "0" } }),
      new Response("{}", { status: 201 }),
    ];
    const log = new RequestLog();
    let sent = 0;
    const outcome = await carefully(
      log,
      "POST /v1/entries",
      async () => {
        const next = answers[sent++];
        if (next instanceof Error) throw next;
        return next as Response;
      },
      { patienceMs: 10_000, random: () => 0 },
    );
    expect(outcome.kind).toBe("answered");
    expect(outcome.attempts).toBe(4);
    expect(log.records.map((r) => [r.status, r.attempt])).toEqual([
      ["network", 1],
      [503, 2],
      [429, 3],
      [201, 4],
    ]);
    const notRetried = await carefully(log, "x", async () => new Response(null, { status: 500 }), {
      patienceMs: 10_000,
      random: () => 0,
    });
    expect(notRetried).toMatchObject({ kind: "answered", attempts: 1 });
  });

  it("asks again after a 409 with Retry-After (the key's first try still running), not after a plain 409", async () => {
    const answers = [
      new Response(null, { status: 409, headers: { "Retry-After": "0" } }),
      new Response("{}", { status: 201 }),
    ];
    let sent = 0;
    const outcome = await carefully(
      new RequestLog(),
      "POST /v1/entries",
      async () => answers[sent++] as Response,
      {
        patienceMs: 10_000,
        random: () => 0,
      },
    );
    expect(outcome).toMatchObject({ kind: "answered", attempts: 2 });
    if (outcome.kind === "answered") expect(outcome.res.status).toBe(201);
    const conflict = await carefully(new RequestLog(), "x", async () => new Response(null, { status: 409 }), {
      patienceMs: 10_000,
      random: () => 0,
    });
    expect(conflict).toMatchObject({ kind: "answered", attempts: 1 });
  });

  it("gives up once its patience would run out, saying the outcome is unknown", async () => {
    const outcome = await carefully(
      new RequestLog(),
      "x",
      async () => new Response(null, { status: 503, headers: { "Retry-After": "60" } }),
      { patienceMs: 1_000, random: () => 0 },
    );
    expect(outcome).toEqual({ kind: "gave-up", attempts: 1, last: 503 });
  });

  it("reads Retry-After as seconds or a date, and knows what is worth retrying", () => {
    expect(retryAfterMs("3")).toBe(3_000);
    expect(retryAfterMs(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
    expect([429, 502, 503, 504, "network"].every((s) => isRetryable(s as number))).toBe(true);
    expect([200, 400, 404, 409, 500].some((s) => isRetryable(s))).toBe(false);
  });

  it("parses the command's flags and durations", () => {
    expect(parseFlags(["--entries", "300", "--soak", "--seed=4"])).toEqual({
      entries: "300",
      soak: true,
      seed: "4",
    });
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(() => parseDuration("soon")).toThrow(/--duration/);
  });

  it("measures a process with its children, less a child measured on its own", async () => {
    const child = spawn(
      process.execPath,
      ["-e", "const b = Buffer.alloc(64 * 1024 * 1024, 1); setInterval(() => b.length, 1000)"],
      {
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    try {
      const pid = child.pid as number;
      // Wait until the child holds its 64 MiB.
      for (let i = 0; i < 200 && (treeRssMiB(pid) ?? 0) < 64; i++)
        await new Promise((r) => setTimeout(r, 50));
      const alone = memoryOf({ self: process.pid, child: pid });
      const whole = treeRssMiB(process.pid) ?? 0;
      expect(alone.child).toBeGreaterThanOrEqual(64);
      expect(whole - (alone.self ?? 0)).toBeGreaterThanOrEqual(60);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
