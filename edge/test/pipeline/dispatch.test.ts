import { uuidv7 } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { entryAnalyses, jobs } from "../../src/db/schema/index.ts";
import {
  DELIVERY_TIMEOUT_SECONDS,
  dispatchJob,
  failedRetryDelayMs,
  MAX_ATTEMPTS,
  MAX_TOTAL_ATTEMPTS,
  type PipelineDeps,
  runningLeaseMs,
  waitBackoffMs,
} from "../../src/services/job-dispatch.ts";
import { jobSweepTask } from "../../src/services/job-sweep-cron.ts";
import { type NodeCandidate, nodeStatus, pickNode } from "../../src/services/nodes.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, edgeEnv, registerAdmin, registerUser, type TestUser, testConfig, testDb } from "../harness.ts";
import {
  beat,
  CALLBACK,
  deliveredCallback,
  eventually,
  FAILURE,
  postSigned,
  publicUrl,
  registerNode,
  removeTestNodes,
  testPipelineDeps,
} from "./helpers.ts";

afterAll(removeTestNodes);

function deps(): PipelineDeps {
  return { ...testPipelineDeps(), requestId: "req_pipeline-test" };
}

const candidate = (
  id: string,
  running: number,
  load?: Partial<NodeCandidate["load"] & object>,
): NodeCandidate => ({
  id,
  url: `http://${id}.test`,
  models: [],
  running,
  load: { queueDepth: 0, running: 0, capacity: 10, ...load },
});

/** A purge job: needs no model, so the healthy test nodes of this suite can take it. */
async function purgeJob(userId: string, entryId: string, extra: Partial<typeof jobs.$inferInsert> = {}) {
  const id = uuidv7();
  await testDb()
    .insert(jobs)
    .values({ id, userId, entryId, kind: "purge-entry-vectors", payload: { entryId }, ...extra });
  return id;
}

describe("scheduling", () => {
  it("picks the least loaded node relative to capacity, spreads ties, and avoids the node that just failed", () => {
    const a = candidate("a", 4);
    const b = candidate("b", 1);
    const big = candidate("big", 6, { capacity: 100 });
    expect(pickNode([a, b])?.id).toBe("b");
    expect(pickNode([a, b, big])?.id).toBe("big");
    expect(pickNode([candidate("c", 0, { queueDepth: 9 }), candidate("d", 2)])?.id).toBe("d");
    const tied = [candidate("x", 1), candidate("y", 1)];
    expect(pickNode(tied, { random: () => 0 })?.id).toBe("x");
    expect(pickNode(tied, { random: () => 0.99 })?.id).toBe("y");
    expect(pickNode([a, b], { avoid: "b" })?.id).toBe("a");
    expect(pickNode([b], { avoid: "b" })?.id).toBe("b");
    expect(pickNode([])).toBeUndefined();
  });

  it("computes node status from the flags and heartbeat freshness", () => {
    const now = new Date();
    const base = {
      draining: false,
      status: "healthy" as const,
      lastHeartbeatAt: new Date(now.getTime() - 5_000),
      unreachableSince: null,
    };
    expect(nodeStatus(base, now, 30)).toBe("healthy");
    expect(nodeStatus({ ...base, lastHeartbeatAt: new Date(now.getTime() - 31_000) }, now, 30)).toBe(
      "offline",
    );
    expect(nodeStatus({ ...base, lastHeartbeatAt: null }, now, 30)).toBe("offline");
    expect(nodeStatus({ ...base, draining: true }, now, 30)).toBe("draining");
    expect(nodeStatus({ ...base, status: "draining" }, now, 30)).toBe("draining");
    expect(nodeStatus({ ...base, unreachableSince: now }, now, 30)).toBe("offline");
  });

  it("backs off waiting jobs with their age, between 5 s and 5 min", () => {
    const now = new Date();
    expect(waitBackoffMs(now, now)).toBe(5_000);
    expect(waitBackoffMs(new Date(now.getTime() - 60_000), now)).toBe(15_000);
    expect(waitBackoffMs(new Date(now.getTime() - 86_400_000), now)).toBe(300_000);
  });
});

describe("dispatch", () => {
  it("accepts an entry with no node to run it; the job waits and says why", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Written while every node is asleep." });
    const job = await eventually(async () => {
      const body = await json<{ status: string; error: string | null; attempts: number }>(
        await call(`/v1/jobs/${entry.jobId}`, { token: user.accessToken }),
        200,
      );
      return body.error?.includes("healthy inference node") ? body : undefined;
    });
    expect(job).toMatchObject({ status: "queued", attempts: 0 });
  });

  it("publishes to the node's job URL with callbacks, the request id and a per-attempt deduplication id", async () => {
    const admin = await registerAdmin();
    const node = await registerNode(admin);
    await beat(node.token);
    const user = await registerUser();
    const entry = await createEntry(user, { content: "To be purged." });
    const jobId = await purgeJob(user.id, entry.id);
    const outcome = await dispatchJob(deps(), jobId);
    if (outcome.outcome !== "published")
      throw new Error(`expected a publish, got ${JSON.stringify(outcome)}`);
    expect(outcome.attempt).toBe(1);
    const [row] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
    expect(row).toMatchObject({
      status: "running",
      attempts: 1,
      nodeId: outcome.nodeId,
      messageId: outcome.messageId,
      // Callbacks are applied only for messages listed here.
      deliveredMessageIds: [outcome.messageId],
    });

    const c = testConfig();
    const res = await fetch(`${c.QSTASH_URL}/v2/messages/${outcome.messageId}`, {
      headers: { Authorization: `Bearer ${c.QSTASH_TOKEN}` },
    });
    const message = (await res.json()) as {
      url: string;
      callback: string;
      failureCallback: string;
      header: Record<string, string[]>;
      body: string;
    };
    expect(message.url).toMatch(/\/jobs\/purge-entry-vectors$/);
    expect(message.callback).toBe(publicUrl(CALLBACK));
    expect(message.failureCallback).toBe(publicUrl(FAILURE));
    const headers = Object.fromEntries(
      Object.entries(message.header).map(([k, v]) => [k.toLowerCase(), v[0]]),
    );
    expect(headers["x-request-id"]).toBe("req_pipeline-test");
    expect(JSON.parse(message.body)).toMatchObject({
      jobId,
      attempt: 1,
      entryIds: [entry.id],
      userId: user.id,
    });

    // A publish whose answer was lost is retried with the same attempt number: QStash drops the copy.
    await testDb().update(jobs).set({ status: "queued", attempts: 0 }).where(eq(jobs.id, jobId));
    const again = await dispatchJob(deps(), jobId);
    expect(again).toMatchObject({ outcome: "published", messageId: outcome.messageId });
    const [resent] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
    expect(resent?.deliveredMessageIds).toEqual([outcome.messageId]);
    // A job that is not queued is left alone (two dispatchers racing publish once).
    expect(await dispatchJob(deps(), jobId)).toEqual({ outcome: "skipped" });
  });

  it("never sends new work to a drained node", async () => {
    const admin = await registerAdmin();
    const node = await registerNode(admin);
    await beat(node.token);
    await call(`/v1/admin/nodes/${node.id}/drain`, { method: "POST", token: admin.accessToken });
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Not for the drained node." });
    for (let i = 0; i < 5; i++) {
      const jobId = await purgeJob(user.id, entry.id);
      const outcome = await dispatchJob(deps(), jobId);
      if (outcome.outcome === "published") expect(outcome.nodeId).not.toBe(node.id);
    }
  });
});

describe("the cron sweep", () => {
  const ctx = () => ({
    env: edgeEnv,
    config: testConfig(),
    db: testDb(),
    scheduledTime: new Date(),
    waitUntil: () => {},
  });

  it("dispatches queued jobs whose publish never happened, and recovers jobs lost downstream (a purge out of attempts waits and is retried, never failed)", async () => {
    const admin = await registerAdmin();
    const node = await registerNode(admin);
    await beat(node.token);
    const user = await registerUser();
    const entry = await createEntry(user, { content: "The publish of this one was lost." });
    const forgotten = await purgeJob(user.id, entry.id, { availableAt: new Date(Date.now() - 60_000) });
    const leaseAgo = new Date(Date.now() - runningLeaseMs("purge-entry-vectors") - 60_000);
    const lost = await purgeJob(user.id, entry.id, { status: "running", attempts: 1, startedAt: leaseAgo });
    const exhausted = await purgeJob(user.id, entry.id, {
      status: "running",
      attempts: MAX_ATTEMPTS,
      startedAt: leaseAgo,
    });

    await jobSweepTask.run(ctx());

    const state = async (id: string) => (await testDb().select().from(jobs).where(eq(jobs.id, id)))[0];
    expect(await state(forgotten)).toMatchObject({ status: "running", attempts: 1 });
    expect(await state(lost)).toMatchObject({ status: "running", attempts: 2 });
    // A purge is never given up: out of attempts, it waits and is tried again later.
    const retried = await state(exhausted);
    expect(retried).toMatchObject({ status: "queued", attempts: MAX_ATTEMPTS });
    expect(retried?.availableAt.getTime()).toBeGreaterThan(Date.now() + 20_000);
    // Running it again is harmless.
    await jobSweepTask.run(ctx());
    expect(await state(lost)).toMatchObject({ status: "running", attempts: 2 });
  });

  it("reclaims a silent running job soon after its own kind's timeout, not before", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Its node went quiet mid-analysis." });
    const past = (ms: number) => new Date(Date.now() - ms);
    // An analysis is answered within a minute or never: a little past its lease, it is reclaimed.
    const analysisLease = runningLeaseMs("analyze-entry");
    expect(analysisLease).toBeLessThanOrEqual((DELIVERY_TIMEOUT_SECONDS + 60) * 1000);
    const analysis = uuidv7();
    // A written reflection may take two minutes per delivery: at the same age it is still running.
    const reflectionLease = runningLeaseMs("write-reflection");
    expect(reflectionLease).toBeGreaterThan(analysisLease + 30_000);
    const reflection = uuidv7();
    const fresh = uuidv7();
    await testDb()
      .insert(jobs)
      .values([
        {
          id: analysis,
          userId: user.id,
          entryId: entry.id,
          kind: "analyze-entry",
          status: "running",
          attempts: 1,
          payload: { entryId: entry.id, contentVersion: 1 },
          startedAt: past(analysisLease + 10_000),
        },
        {
          id: fresh,
          userId: user.id,
          entryId: entry.id,
          kind: "analyze-entry",
          status: "running",
          attempts: 1,
          payload: { entryId: entry.id, contentVersion: 1 },
          startedAt: past(analysisLease - 10_000),
        },
        {
          id: reflection,
          userId: user.id,
          kind: "write-reflection",
          status: "running",
          attempts: 1,
          payload: {},
          startedAt: past(analysisLease + 10_000),
        },
      ]);

    await jobSweepTask.run(ctx());

    const state = async (id: string) => (await testDb().select().from(jobs).where(eq(jobs.id, id)))[0];
    // Back in the queue (no node here serves the analysis models, so it waits for one).
    expect(await state(analysis)).toMatchObject({ status: "queued", attempts: 1 });
    expect(await state(fresh)).toMatchObject({ status: "running", attempts: 1 });
    expect(await state(reflection)).toMatchObject({ status: "running", attempts: 1 });
  });

  it("queues a job that failed for a transient cause again after a growing pause, up to a cap; a permanent failure stays failed", async () => {
    const user = await registerUser();
    const state = async (id: string) => (await testDb().select().from(jobs).where(eq(jobs.id, id)))[0];
    const analysisStatus = async (entryId: string) =>
      (await testDb().select().from(entryAnalyses).where(eq(entryAnalyses.entryId, entryId)))[0]?.status;
    /** An entry whose analysis job fails on its last attempt with `status` from the node. */
    const failOnLastAttempt = async (who: TestUser, status: number) => {
      const entry = await createEntry(who, { content: `The node answers ${status} on this one.` });
      const jobId = uuidv7();
      await testDb()
        .insert(jobs)
        .values({
          id: jobId,
          userId: who.id,
          entryId: entry.id,
          kind: "analyze-entry",
          status: "running",
          attempts: MAX_ATTEMPTS,
          payload: { entryId: entry.id, contentVersion: 1 },
          startedAt: new Date(),
        });
      await failAttempt(jobId, MAX_ATTEMPTS, status);
      return { entryId: entry.id, jobId };
    };
    const failAttempt = async (jobId: string, attempt: number, status: number) => {
      const body = await deliveredCallback({
        status,
        answer: { code: "X", detail: status >= 500 ? "The node is restarting" : "The request is malformed" },
        source: { jobId, attempt },
      });
      expect((await json<{ outcome: string }>(await postSigned(FAILURE, body), 200)).outcome).toBe("failed");
    };
    /** Moves a failed job's failure `ms` into the past, as the clock would. */
    const failedAgo = async (jobId: string, ms: number) =>
      await testDb()
        .update(jobs)
        .set({ finishedAt: new Date(Date.now() - ms) })
        .where(eq(jobs.id, jobId));

    const transient = await failOnLastAttempt(user, 503);
    const permanent = await failOnLastAttempt(user, 400);
    expect(await state(transient.jobId)).toMatchObject({ status: "failed" });
    expect(await analysisStatus(transient.entryId)).toBe("failed");

    // Not before its pause is over.
    await failedAgo(transient.jobId, failedRetryDelayMs(MAX_ATTEMPTS) - 5_000);
    await jobSweepTask.run(ctx());
    expect(await state(transient.jobId)).toMatchObject({ status: "failed" });

    await failedAgo(transient.jobId, failedRetryDelayMs(MAX_ATTEMPTS) + 1_000);
    await failedAgo(permanent.jobId, 24 * 3_600_000);
    await jobSweepTask.run(ctx());
    // Queued again (waiting for a node that serves the analysis models), the entry pending again.
    const requeued = await state(transient.jobId);
    expect(requeued).toMatchObject({ status: "queued", attempts: MAX_ATTEMPTS });
    expect(requeued?.error).toMatch(/queued again/i);
    expect(await analysisStatus(transient.entryId)).toBe("pending");
    expect(await state(permanent.jobId)).toMatchObject({ status: "failed" });
    expect(await analysisStatus(permanent.entryId)).toBe("failed");

    // Its next attempt fails too: the pause before the one after is longer.
    await testDb()
      .update(jobs)
      .set({ status: "running", attempts: MAX_ATTEMPTS + 1, startedAt: new Date() })
      .where(eq(jobs.id, transient.jobId));
    await failAttempt(transient.jobId, MAX_ATTEMPTS + 1, 502);
    expect(failedRetryDelayMs(MAX_ATTEMPTS + 1)).toBeGreaterThan(failedRetryDelayMs(MAX_ATTEMPTS));
    await failedAgo(transient.jobId, failedRetryDelayMs(MAX_ATTEMPTS) + 1_000);
    await jobSweepTask.run(ctx());
    expect(await state(transient.jobId)).toMatchObject({ status: "failed" });
    await failedAgo(transient.jobId, failedRetryDelayMs(MAX_ATTEMPTS + 1) + 1_000);
    await jobSweepTask.run(ctx());
    expect(await state(transient.jobId)).toMatchObject({ status: "queued" });

    // Once it has had every attempt it may, it stays failed for an administrator.
    await testDb()
      .update(jobs)
      .set({ status: "running", attempts: MAX_TOTAL_ATTEMPTS, startedAt: new Date() })
      .where(eq(jobs.id, transient.jobId));
    await failAttempt(transient.jobId, MAX_TOTAL_ATTEMPTS, 503);
    await failedAgo(transient.jobId, 24 * 3_600_000);
    await jobSweepTask.run(ctx());
    expect(await state(transient.jobId)).toMatchObject({ status: "failed" });
    expect(await analysisStatus(transient.entryId)).toBe("failed");
  });

  it("is registered for the every-minute trigger", async () => {
    const { cronTasks } = await import("../../src/scheduled.ts");
    expect(cronTasks.find((t) => t.name === "job-sweep")?.crons).toEqual(["* * * * *"]);
  });
});
