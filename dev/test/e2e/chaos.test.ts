import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CampaignReport,
  CHAOS_EDGE_VARS,
  type ChaosNode,
  runCampaign,
  startChaosNode,
} from "../../src/chaos/campaign.ts";
import { startTestStack } from "../../src/testing/test-stack.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

/**
 * The fault campaign in small (`npm run chaos` is the long one): a few careful writers through the real
 * edge while the node is killed, the QStash stand-in restarted and Redis killed, each at a seeded point
 * of the load; then every invariant once the system has settled. A node answering garbage or slowly and
 * a full Redis are left to `npm run chaos` for now: with them an entry is at times left unanalysed (a
 * failed analysis the sweep does not run again), which the long campaign reports.
 */
describe("a short fault campaign", () => {
  let stack: RunningStack;
  let node: ChaosNode | undefined;

  beforeAll(async () => {
    stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge"], "chaos", {
      edgeVars: CHAOS_EDGE_VARS,
    });
    node = await startChaosNode(stack);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await node?.link.close();
  });

  it("loses nothing, does nothing twice and leaves nothing stuck through a node kill, a QStash restart and a Redis restart", async () => {
    const report: CampaignReport = await runCampaign(stack, node as ChaosNode, {
      entries: 100,
      writers: 5,
      seed: 20,
      faults: ["node-kill", "qstash-restart", "redis-restart"],
      repeats: 1,
      settleTimeoutMs: 90_000,
      patienceMs: 60_000,
      say: () => {},
    });
    expect(report.faults.map((f) => f.kind).sort()).toEqual(["node-kill", "qstash-restart", "redis-restart"]);
    for (const invariant of report.invariants) {
      expect(invariant.ok, `${invariant.name}: ${invariant.detail}`).toBe(true);
    }
    // A create the writer gave up on (its patience spent on retries) is allowed; the invariants above
    // account for it. Most must have been acknowledged.
    expect(report.entries.acknowledged).toBeGreaterThanOrEqual(90);
    expect(report.recovery.every((r) => r.unrecovered === 0)).toBe(true);
  }, 240_000);
});
