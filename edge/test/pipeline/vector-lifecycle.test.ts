import { uuidv7 } from "@inkwell/shared";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { jobs } from "../../src/db/schema/index.ts";
import { MAX_ATTEMPTS, sweepJobs } from "../../src/services/job-dispatch.ts";
import { purgeExpiredEntries } from "../../src/services/retention.ts";
import { queueReconciliation, RECONCILE_VECTORS_JOB } from "../../src/services/vector-reconciliation.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, registerUser, type TestUser, testDb } from "../harness.ts";
import {
  analysisResult,
  CALLBACK,
  deliveredCallback,
  FAILURE,
  postSigned,
  removeTestNodes,
  testPipelineDeps,
} from "./helpers.ts";

afterAll(removeTestNodes);

/** A job in flight on a node, as `dispatchJob` leaves it. */
async function runningJob(
  kind: string,
  payload: Record<string, unknown>,
  extra: Partial<typeof jobs.$inferInsert> = {},
) {
  const id = uuidv7();
  await testDb()
    .insert(jobs)
    .values({ id, kind, status: "running", attempts: 1, payload, startedAt: new Date(), ...extra });
  return id;
}

/** Purge jobs that name these entries, whatever else they name. */
async function entryPurgesOf(entryId: string) {
  const rows = await testDb()
    .select({ id: jobs.id, payload: jobs.payload, userId: jobs.userId })
    .from(jobs)
    .where(
      and(
        eq(jobs.kind, "purge-entry-vectors"),
        sql`(${jobs.payload}->'entryIds' ? ${entryId} or ${jobs.payload}->>'entryId' = ${entryId})`,
      ),
    );
  return rows;
}

async function userPurgesOf(userId: string) {
  return await testDb()
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.kind, "purge-user-vectors"), sql`${jobs.payload}->>'userId' = ${userId}`));
}

async function deleteEntry(user: TestUser, id: string) {
  expect((await call(`/v1/entries/${id}`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
}

describe("vectors written after a delete are purged again", () => {
  it("an analysis that lands after its writer deleted the account purges the writer's vectors once more", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "The last entry before leaving." });
    const jobId = entry.jobId ?? "";
    await testDb().update(jobs).set({ status: "running", attempts: 1 }).where(eq(jobs.id, jobId));
    const body = await deliveredCallback({
      answer: analysisResult(jobId, entry.id, 1),
      // What the edge published: the node upserted this writer's vector before answering.
      source: { jobId, attempt: 1, entryId: entry.id, userId: user.id, contentVersion: 1 },
    });
    const res = await call("/v1/me", {
      method: "DELETE",
      token: user.accessToken,
      body: { password: user.password },
    });
    expect(res.status).toBe(202);
    expect(await userPurgesOf(user.id)).toHaveLength(1);

    // The account's cascade took the job; the late answer still leads to another purge.
    expect((await json<{ outcome: string }>(await postSigned(CALLBACK, body), 200)).outcome).toBe(
      "unknown-job",
    );
    expect(await userPurgesOf(user.id)).toHaveLength(2);
  });

  it("a late answer for a job that is gone purges nothing that was not deleted", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Still here." });
    const jobId = uuidv7();
    const body = await deliveredCallback({
      answer: analysisResult(jobId, entry.id, 1),
      source: { jobId, attempt: 1, entryId: entry.id, userId: user.id, contentVersion: 1 },
    });
    expect((await json<{ outcome: string }>(await postSigned(CALLBACK, body), 200)).outcome).toBe(
      "unknown-job",
    );
    expect(await entryPurgesOf(entry.id)).toEqual([]);
    expect(await userPurgesOf(user.id)).toEqual([]);
  });

  it("a reindex page that lands after one of its entries was deleted purges that entry once more", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Reindexed, then deleted." });
    const jobId = await runningJob("reindex", {
      model: "test-embed-3d",
      after: null,
      pageEnd: entry.id,
      pageCount: 1,
      userIds: [user.id],
    });
    const body = await deliveredCallback({
      answer: { jobId, upserted: 1, indexed: true },
      source: { jobId, attempt: 1 },
    });
    await deleteEntry(user, entry.id);
    // The delete's own purge.
    expect(await entryPurgesOf(entry.id)).toHaveLength(1);
    expect((await json<{ outcome: string }>(await postSigned(CALLBACK, body), 200)).outcome).toBe("applied");
    const purges = await entryPurgesOf(entry.id);
    expect(purges).toHaveLength(2);
    // Naming the writer, so the node opens only their collections.
    expect(purges.map((p) => p.payload)).toContainEqual({ entryIds: [entry.id], userId: user.id });
  });

  it("an analysis whose answer was lost after its entry was deleted purges the entry once more, retried or given up", async () => {
    const user = await registerUser();
    /** An entry whose analysis is out on a node (it may upsert the vector) when the writer deletes it. */
    const deletedInFlight = async (attempts: number) => {
      const entry = await createEntry(user, { content: "Deleted while a node was analysing it." });
      const jobId = entry.jobId ?? "";
      await testDb()
        .update(jobs)
        .set({ status: "running", attempts, startedAt: new Date() })
        .where(eq(jobs.id, jobId));
      await deleteEntry(user, entry.id);
      // The delete's own purge, which may run before the node's upsert.
      expect(await entryPurgesOf(entry.id)).toHaveLength(1);
      return { entryId: entry.id, jobId };
    };
    // The node's answer never comes back, only QStash's failure: one attempt lost, the job retried.
    const retried = await deletedInFlight(1);
    const failure = async (jobId: string, attempt: number) =>
      await deliveredCallback({ status: 0, error: "connection reset", source: { jobId, attempt } });
    const outcome = async (body: string) =>
      (await json<{ outcome: string }>(await postSigned(FAILURE, body), 200)).outcome;
    expect(await outcome(await failure(retried.jobId, 1))).toBe("requeued");
    const [job] = await testDb().select().from(jobs).where(eq(jobs.id, retried.jobId));
    expect(job?.status).toBe("done");
    const purges = await entryPurgesOf(retried.entryId);
    expect(purges).toHaveLength(2);
    expect(purges.map((p) => p.payload)).toContainEqual({ entryIds: [retried.entryId], userId: user.id });

    // Its last attempt lost: the job fails, and the vector that attempt may have written goes too.
    const givenUp = await deletedInFlight(MAX_ATTEMPTS);
    expect(await outcome(await failure(givenUp.jobId, MAX_ATTEMPTS))).toBe("failed");
    expect(await entryPurgesOf(givenUp.entryId)).toHaveLength(2);
  });
});

describe("purges are never given up", () => {
  it("a purge an older edge left failed goes back to the queue at the next sweep", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Its vector must leave the index." });
    const id = uuidv7();
    await testDb()
      .insert(jobs)
      .values({
        id,
        userId: user.id,
        kind: "purge-entry-vectors",
        status: "failed",
        attempts: MAX_ATTEMPTS,
        payload: { entryIds: [entry.id] },
        error: `Attempt ${MAX_ATTEMPTS} of ${MAX_ATTEMPTS} failed: the node answered HTTP 500.`,
        finishedAt: new Date(),
      });
    await sweepJobs(testPipelineDeps());
    const [row] = await testDb().select().from(jobs).where(eq(jobs.id, id));
    expect(row?.status).not.toBe("failed");
    expect(["queued", "running", "done"]).toContain(row?.status);
  });
});

describe("retention", () => {
  it("removing an entry for good purges its vectors again, and the purge outlives the entry's rows", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Deleted a long time ago." });
    await deleteEntry(user, entry.id);
    const db = testDb();
    await db.execute(sql`update entries set deleted_at = now() - interval '400 days' where id = ${entry.id}`);
    expect(await purgeExpiredEntries(db, 30)).toBeGreaterThanOrEqual(1);
    const purges = await entryPurgesOf(entry.id);
    // The delete's purge survives the hard delete, and one more goes out with it.
    expect(purges.length).toBe(2);
    expect(purges.some((p) => p.userId === null)).toBe(true);
    // The job row outlives the writer's rows; the payload still names the writer for the node.
    expect(purges.find((p) => p.userId === null)?.payload).toEqual({ entryIds: [entry.id], userId: user.id });
  });
});

describe("Postgres <-> Chroma reconciliation", () => {
  it("purges every listed vector without a live entry of the same writer, and queues the next page", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const live = await createEntry(user, { content: "Alive and indexed." });
    const deleted = await createEntry(user, { content: "Deleted, but its vector stayed." });
    const misfiled = await createEntry(other, { content: "Filed under the wrong writer in Chroma." });
    await deleteEntry(user, deleted.id);
    const never = uuidv7();
    const jobId = await runningJob(RECONCILE_VECTORS_JOB, { cursor: null });
    const next = { collection: "entries-test-embed-3d", offset: 500 };
    const body = await deliveredCallback({
      answer: {
        jobId,
        indexed: true,
        items: [
          { entryId: live.id, userId: user.id, contentVersion: 1 },
          { entryId: deleted.id, userId: user.id, contentVersion: 1 },
          { entryId: never, userId: user.id, contentVersion: null },
          { entryId: misfiled.id, userId: user.id, contentVersion: 1 },
        ],
        next,
      },
      source: { jobId, attempt: 1 },
    });
    expect((await json<{ outcome: string }>(await postSigned(CALLBACK, body), 200)).outcome).toBe("applied");

    const [purge] = (await entryPurgesOf(never)).filter((p) => p.userId === null);
    expect(((purge?.payload.entryIds ?? []) as string[]).sort()).toEqual(
      [deleted.id, never, misfiled.id].sort(),
    );
    // All three were listed under the first writer: the purge opens only that writer's collections, so
    // the misfiled entry's own writer keeps theirs.
    expect(purge?.payload.userId).toBe(user.id);
    expect(await entryPurgesOf(live.id)).toEqual([]);
    const pages = await testDb()
      .select({ payload: jobs.payload })
      .from(jobs)
      .where(
        and(
          eq(jobs.kind, RECONCILE_VECTORS_JOB),
          sql`${jobs.payload}->'cursor' = ${JSON.stringify(next)}::jsonb`,
        ),
      );
    expect(pages).toHaveLength(1);
  });

  it("starts one pass at a time", async () => {
    await queueReconciliation(testDb());
    expect(await queueReconciliation(testDb())).toBe(false);
    const open = await testDb()
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.kind, RECONCILE_VECTORS_JOB), sql`${jobs.status} in ('queued', 'running')`));
    expect(open.length).toBeGreaterThanOrEqual(1);
  });
});
