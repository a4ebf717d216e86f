import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHAOS_EDGE_VARS,
  type ChaosNode,
  runSoak,
  type SoakReport,
  startChaosNode,
} from "../../src/chaos/campaign.ts";
import { startTestStack } from "../../src/testing/test-stack.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

const ROUTES = [
  "POST /v1/entries",
  "PATCH /v1/entries/{id}",
  "GET /v1/entries/{id}",
  "GET /v1/search",
  "POST /v1/sessions/{id}/messages",
];

/**
 * The soak in small (`npm run soak` is ten minutes): a steady mixed load of writes, edits, reads,
 * searches and chat messages through the real edge for 45 s, measured in 15-second windows. It checks
 * that nothing but rate limiting failed and that the report has its figures; never the figures' values,
 * which depend on the machine.
 */
describe("a short soak", () => {
  let stack: RunningStack;
  let node: ChaosNode | undefined;
  let report: SoakReport;

  beforeAll(async () => {
    stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge"], "soak", {
      edgeVars: CHAOS_EDGE_VARS,
    });
    node = await startChaosNode(stack, "soak");
    report = await runSoak(stack, { minutes: 0.75, windowMs: 15_000, writers: 4, seed: 21, say: () => {} });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await node?.link.close();
  });

  it("answers every request with a success or a 429, never an error or silence", () => {
    expect(report.requests).toBeGreaterThan(0);
    const failures = Object.entries(report.byStatus).filter(
      ([status]) => status === "network" || (Number(status) >= 400 && status !== "429"),
    );
    expect(failures).toEqual([]);
    expect(report.perMinute.every((row) => row.errors === 0)).toBe(true);
  });

  it("reports throughput and latency per route for every window of the load", () => {
    expect(report.minutes).toBe(0.75);
    expect(new Set(report.perMinute.map((row) => row.minute))).toEqual(new Set([1, 2, 3]));
    for (const route of ROUTES) {
      expect(
        report.perMinute.some((row) => row.route === route),
        route,
      ).toBe(true);
    }
    for (const row of report.perMinute) {
      expect(row.requests).toBeGreaterThan(0);
      expect(row.perSecond).toBeCloseTo(row.requests / 15, 1);
      if (row.requests > row.rateLimited) expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms);
    }
  });

  it("measures the memory of every process at the start and the end", () => {
    const parts = ["postgres", "redis", "chroma", "edge", "tooling", "node-soak"];
    for (const when of ["start", "end"] as const) {
      expect(Object.keys(report.memoryMiB[when]).sort()).toEqual([...parts].sort());
      for (const part of parts) expect(report.memoryMiB[when][part]).toBeGreaterThan(0);
    }
  });
});
