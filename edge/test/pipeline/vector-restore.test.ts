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
/** The job as it stands now, for building its page again. */
async function current(id: string) {
  const job = await jobById(id);
  if (!job) throw new Error(`job ${id} not found`);
  return job;
}
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

  it("a check answer's ids outside its page, or not UUIDs at all, are ignored: nothing foreign is restored", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const [first, second, third] = [
      await createEntry(user, { content: "Before the page." }),
      await createEntry(user, { content: "The page's one entry." }),
      await createEntry(user, { content: "After the page." }),
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    if (!first || !second || !third) throw new Error("entries not written");
    const foreign = await createEntry(other, { content: "Another writer's entry, in no page sent." });
    for (const entry of [first, second, third]) await embed(user, entry.id, 1, false);
    await embed(other, foreign.id, 1, false);
    // The page holds the entries after `first` up to `second`.
    const check = await reconcileJob({ check: { model: MODEL, after: first.id }, pageEnd: second.id });

    const answered = await answer(check.id, {
      missing: ["not-a-uuid", first.id, third.id, foreign.id, second.id.toUpperCase()],
    });
    expect(answered).toBe("applied");
    expect((await jobById(check.id))?.status).toBe("done");
    expect((await jobById(check.id))?.result).toEqual({ missing: 1 });
    expect((await restoresOf(second.id)).map((job) => job.payload.restore)).toEqual([
      { model: MODEL, entryIds: [second.id] },
    ]);
    for (const entry of [first, third, foreign]) expect(await restoresOf(entry.id)).toEqual([]);
    const queued = await testDb()
      .select({ id: jobs.id })
      .from(jobs)
      .where(
        and(eq(jobs.kind, RECONCILE_VECTORS_JOB), sql`${jobs.payload}->'restore'->'entryIds' ? 'not-a-uuid'`),
      );
    expect(queued).toEqual([]);
    // The restore it queued builds and goes out: nothing the node named breaks it.
    const [restore] = await restoresOf(second.id);
    const built = await buildReconcileVectors(testDb(), await current(restore?.id ?? ""), 1);
    expect(built.kind === "publish" && built.body.restore?.items.map((i) => i.entryId)).toEqual([second.id]);
  });

  it("a restore built again after one of its entries was deleted still purges that entry when answered", async () => {
    const user = await registerUser();
    const kept = await createEntry(user, { content: "Sent by both attempts." });
    const deleted = await createEntry(user, { content: "Sent by the first attempt, then deleted." });
    await embed(user, kept.id, 1, false);
    await embed(user, deleted.id, 1, false);
    const job = await reconcileJob({ restore: { model: MODEL, entryIds: [kept.id, deleted.id] } }, "queued");
    // The first attempt sends both; its node writes them, but its delivery fails.
    const first = await buildReconcileVectors(testDb(), job, 1);
    expect(first.kind === "publish" && first.body.restore?.items.map((i) => i.entryId).sort()).toEqual(
      [kept.id, deleted.id].sort(),
    );
    await deleteEntry(user, deleted.id);
    expect(await purgesOf(deleted.id)).toHaveLength(1);
    // The second attempt is built without the deleted entry.
    const second = await buildReconcileVectors(testDb(), await current(job.id), 2);
    expect(second.kind === "publish" && second.body.restore?.items.map((i) => i.entryId)).toEqual([kept.id]);
    expect((await jobById(job.id))?.payload).toMatchObject({ sent: { [kept.id]: 1 }, userIds: [user.id] });
    await testDb().update(jobs).set({ status: "running" }).where(eq(jobs.id, job.id));

    expect(await answer(job.id, { restored: 1 })).toBe("applied");
    // The first attempt may have written the deleted entry's vector after the delete's purge ran.
    expect(await purgesOf(deleted.id)).toHaveLength(2);
    expect((await indexedAt(kept.id))?.at).not.toBeNull();
  });

  it("a restore built again with nothing left to send still purges what an earlier attempt sent", async () => {
    const user = await registerUser();
    const deleted = await createEntry(user, { content: "Sent, then deleted before the retry." });
    await embed(user, deleted.id, 1, false);
    const job = await reconcileJob({ restore: { model: MODEL, entryIds: [deleted.id] } }, "queued");
    expect((await buildReconcileVectors(testDb(), job, 1)).kind).toBe("publish");
    await deleteEntry(user, deleted.id);
    const again = await buildReconcileVectors(testDb(), await current(job.id), 2);
    if (again.kind !== "finish") throw new Error("expected the page to finish");
    expect(again.dispatchAfter).toHaveLength(1);
    expect(await purgesOf(deleted.id)).toHaveLength(2);
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
  it("are restored once, unless confirmed indexed, deleted, or finished before the look-back", async () => {
    const user = await registerUser();
    const unindexed = await createEntry(user, { content: "Chroma was down when this was analysed." });
    const waited = await createEntry(user, { content: "Queued an hour ago, analysed just now." });
    const confirmed = await createEntry(user, { content: "Analysed and indexed." });
    const deleted = await createEntry(user, { content: "Unindexed, then deleted." });
    const old = await createEntry(user, { content: "Unindexed an hour ago." });
    const hourAgo = () => new Date(Date.now() - 60 * 60_000);
    const report = async (
      entryId: string,
      indexed: boolean,
      finishedAt = new Date(),
      availableAt = finishedAt,
    ) =>
      await testDb()
        .update(jobs)
        .set({ status: "done", result: { indexed }, finishedAt, availableAt })
        .where(and(eq(jobs.entryId, entryId), eq(jobs.kind, "analyze-entry")));
    await embed(user, unindexed.id, 1, false);
    await report(unindexed.id, false);
    await embed(user, confirmed.id, 1, true);
    await report(confirmed.id, true);
    await embed(user, deleted.id, 1, false);
    await report(deleted.id, false);
    await deleteEntry(user, deleted.id);
    await embed(user, old.id, 1, false);
    await report(old.id, false, hourAgo());
    // Waited in the queue longer than the look-back (no node, a backlog), then could not index.
    await embed(user, waited.id, 1, false);
    await report(waited.id, false, new Date(), hourAgo());

    const queued = await queueUnindexedRestores(testDb());
    expect(queued.length).toBeGreaterThanOrEqual(1);
    expect(await restoresOf(unindexed.id)).toHaveLength(1);
    expect(await restoresOf(waited.id)).toHaveLength(1);
    for (const entry of [confirmed, deleted, old]) expect(await restoresOf(entry.id)).toEqual([]);
    // While its restore is open the entry is not queued again.
    await queueUnindexedRestores(testDb());
    expect(await restoresOf(unindexed.id)).toHaveLength(1);
  });
});
