import { uuidv7 } from "@inkwell/shared";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { entryEmbeddings, jobs } from "../../src/db/schema/index.ts";
import {
  buildReconcileVectors,
  queueUnindexedRestores,
  RECONCILE_VECTORS_JOB,
} from "../../src/services/vector-reconciliation.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, registerUser, type TestUser, testDb } from "../harness.ts";
import { CALLBACK, deliveredCallback, postSigned, removeTestNodes } from "./helpers.ts";

afterAll(removeTestNodes);

const MODEL = "test-embed-3d";

/** The entry's vector in Postgres, as an analysis result leaves it. */
async function embed(user: TestUser, entryId: string, contentVersion: number, indexed: boolean) {
  await testDb()
    .insert(entryEmbeddings)
    .values({
      entryId,
      userId: user.id,
      model: MODEL,
      dims: 3,
      embedding: [contentVersion, 0, 1],
      contentVersion,
      indexedAt: indexed ? new Date() : null,
    })
    .onConflictDoUpdate({
      target: entryEmbeddings.entryId,
      set: { contentVersion, embedding: [contentVersion, 0, 1], indexedAt: indexed ? new Date() : null },
    });
}

async function reconcileJob(payload: Record<string, unknown>, status: "queued" | "running" = "running") {
  const id = uuidv7();
  await testDb()
    .insert(jobs)
    .values({
      id,
      kind: RECONCILE_VECTORS_JOB,
      status,
      attempts: status === "running" ? 1 : 0,
      payload,
      ...(status === "running" ? { startedAt: new Date() } : {}),
    });
  const [row] = await testDb().select().from(jobs).where(eq(jobs.id, id));
  if (!row) throw new Error("job not written");
  return row;
}

async function answer(jobId: string, result: Record<string, unknown>) {
  const body = await deliveredCallback({
    answer: { jobId, indexed: true, items: [], next: null, ...result },
    source: { jobId, attempt: 1 },
  });
  return (await json<{ outcome: string }>(await postSigned(CALLBACK, body), 200)).outcome;
}

const jobById = async (id: string) => (await testDb().select().from(jobs).where(eq(jobs.id, id)))[0];
const restoresOf = async (entryId: string) =>
  await testDb()
    .select({ id: jobs.id, status: jobs.status, payload: jobs.payload })
    .from(jobs)
    .where(
      and(eq(jobs.kind, RECONCILE_VECTORS_JOB), sql`${jobs.payload}->'restore'->'entryIds' ? ${entryId}`),
    );
const purgesOf = async (entryId: string) =>
  await testDb()
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.kind, "purge-entry-vectors"),
        sql`(${jobs.payload}->'entryIds' ? ${entryId} or ${jobs.payload}->>'entryId' = ${entryId})`,
      ),
    );
const indexedAt = async (entryId: string) =>
  (
    await testDb()
      .select({ at: entryEmbeddings.indexedAt, version: entryEmbeddings.contentVersion })
      .from(entryEmbeddings)
      .where(eq(entryEmbeddings.entryId, entryId))
  )[0];

async function deleteEntry(user: TestUser, id: string) {
  expect((await call(`/v1/entries/${id}`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
}

describe("restoring vectors the index lacks", () => {
  it("a restore page sends the version Postgres holds now, and nothing of a deleted entry", async () => {
    const user = await registerUser();
    const edited = await createEntry(user, { content: "Edited after the check found it missing." });
    const deleted = await createEntry(user, { content: "Deleted after the check found it missing." });
    await embed(user, edited.id, 1, false);
    await embed(user, deleted.id, 1, false);
    const job = await reconcileJob(
      { restore: { model: MODEL, entryIds: [edited.id, deleted.id] } },
      "queued",
    );
    await embed(user, edited.id, 2, false);
    await deleteEntry(user, deleted.id);

    const built = await buildReconcileVectors(testDb(), job, 1);
    if (built.kind !== "publish") throw new Error(`expected a page to publish, got ${built.note}`);
    expect(built.body.restore?.items.map((i) => [i.entryId, i.contentVersion, i.embedding])).toEqual([
      [edited.id, 2, [2, 0, 1]],
    ]);
    expect((await jobById(job.id))?.payload).toMatchObject({ sent: { [edited.id]: 2 }, userIds: [user.id] });

    const onlyDeleted = await reconcileJob({ restore: { model: MODEL, entryIds: [deleted.id] } }, "queued");
    expect((await buildReconcileVectors(testDb(), onlyDeleted, 1)).kind).toBe("finish");
  });

  it("its answer confirms only the versions it sent, and purges once more what was deleted since", async () => {
    const user = await registerUser();
    const edited = await createEntry(user, { content: "Analysed anew while the restore was out." });
    const kept = await createEntry(user, { content: "Restored and still the same." });
    const deleted = await createEntry(user, { content: "Deleted while the restore was out." });
    for (const entry of [edited, kept, deleted]) await embed(user, entry.id, 1, false);
    const job = await reconcileJob({
      restore: { model: MODEL, entryIds: [edited.id, kept.id, deleted.id] },
      sent: { [edited.id]: 1, [kept.id]: 1, [deleted.id]: 1 },
      userIds: [user.id],
    });
    await embed(user, edited.id, 2, false);
    await deleteEntry(user, deleted.id);
    expect(await purgesOf(deleted.id)).toHaveLength(1);

    expect(await answer(job.id, { restored: 3 })).toBe("applied");
    expect((await jobById(job.id))?.status).toBe("done");
    expect((await indexedAt(kept.id))?.at).not.toBeNull();
    // Version 2 was never sent: it stays unconfirmed for its own analysis or the next repair.
    expect(await indexedAt(edited.id)).toEqual({ at: null, version: 2 });
    // The node may have written the deleted entry's vector after the delete's purge ran.
    expect(await purgesOf(deleted.id)).toHaveLength(2);
    // A second delivery of the same answer changes nothing.
    expect(await answer(job.id, { restored: 3 })).toBe("duplicate");
    expect(await purgesOf(deleted.id)).toHaveLength(2);
  });

  it("a check page queues restores of what the node lacks and the next page; a listing's end starts the check", async () => {
    const user = await registerUser();
    const missing = await createEntry(user, { content: "Not in the index." });
    const check = await reconcileJob({ check: { model: MODEL, after: null }, pageEnd: missing.id });
    expect(await answer(check.id, { missing: [missing.id] })).toBe("applied");
    const [restore] = await restoresOf(missing.id);
    expect(restore?.payload).toMatchObject({ restore: { model: MODEL, entryIds: [missing.id] } });
    const next = await testDb()
      .select({ id: jobs.id })
      .from(jobs)
      .where(
        and(
          eq(jobs.kind, RECONCILE_VECTORS_JOB),
          sql`${jobs.payload} = ${JSON.stringify({ check: { model: MODEL, after: missing.id } })}::jsonb`,
        ),
      );
    expect(next).toHaveLength(1);

    const lastListing = await reconcileJob({
      cursor: { collection: "w_test-embed-3d_entries_x", offset: 0 },
    });
    expect(await answer(lastListing.id, {})).toBe("applied");
    const started = await testDb()
      .select({ id: jobs.id, createdAt: jobs.createdAt })
      .from(jobs)
      .where(
        and(
          eq(jobs.kind, RECONCILE_VECTORS_JOB),
          // Built at once (the page's model and place filled in), so only its kind of payload is known.
          sql`${jobs.payload} ? 'check'`,
        ),
      );
    expect(started.some((job) => job.createdAt >= lastListing.createdAt)).toBe(true);
  });

  it("a node older than the edge fails the page, saying why, instead of taking a listing for a check", async () => {
    const check = await reconcileJob({ check: { model: MODEL, after: null }, pageEnd: uuidv7() });
    expect(await answer(check.id, {})).toBe("applied");
    const job = await jobById(check.id);
    expect(job?.status).toBe("failed");
    expect(job?.error).toMatch(/older than the edge/);
  });
});

describe("analyses that could not index their vector", () => {
  it("are restored once, unless confirmed indexed, deleted, or older than the look-back", async () => {
    const user = await registerUser();
    const unindexed = await createEntry(user, { content: "Chroma was down when this was analysed." });
    const confirmed = await createEntry(user, { content: "Analysed and indexed." });
    const deleted = await createEntry(user, { content: "Unindexed, then deleted." });
    const old = await createEntry(user, { content: "Unindexed an hour ago." });
    const report = async (entryId: string, indexed: boolean, availableAt = new Date()) =>
      await testDb()
        .update(jobs)
        .set({ status: "done", result: { indexed }, availableAt })
        .where(and(eq(jobs.entryId, entryId), eq(jobs.kind, "analyze-entry")));
    await embed(user, unindexed.id, 1, false);
    await report(unindexed.id, false);
    await embed(user, confirmed.id, 1, true);
    await report(confirmed.id, true);
    await embed(user, deleted.id, 1, false);
    await report(deleted.id, false);
    await deleteEntry(user, deleted.id);
    await embed(user, old.id, 1, false);
    await report(old.id, false, new Date(Date.now() - 60 * 60_000));

    const queued = await queueUnindexedRestores(testDb());
    expect(queued.length).toBeGreaterThanOrEqual(1);
    expect(await restoresOf(unindexed.id)).toHaveLength(1);
    for (const entry of [confirmed, deleted, old]) expect(await restoresOf(entry.id)).toEqual([]);
    // While its restore is open the entry is not queued again.
    await queueUnindexedRestores(testDb());
    expect(await restoresOf(unindexed.id)).toHaveLength(1);
  });
});
