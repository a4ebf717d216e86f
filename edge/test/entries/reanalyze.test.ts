import { entrySchema, reanalyzeResponseSchema } from "@inkwell/shared";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entryAnalyses, jobs } from "../../src/db/schema/index.ts";
import { call, createKey, expectProblem, registerUser, type TestUser, testDb } from "../harness.ts";
import { createEntry, json } from "./helpers.ts";

function reanalyze(user: TestUser | string, id: string, headers: Record<string, string> = {}) {
  const token = typeof user === "string" ? user : user.accessToken;
  return call(`/v1/entries/${id}/reanalyze`, { method: "POST", token, headers });
}

/** What a landed result leaves behind: the analysis done and its job finished. */
async function finishAnalysis(entryId: string): Promise<void> {
  const db = testDb();
  await db
    .update(entryAnalyses)
    .set({ status: "done", sentimentLabel: "positive", sentimentScore: 0.6, analyzedAt: new Date() })
    .where(eq(entryAnalyses.entryId, entryId));
  await db
    .update(jobs)
    .set({ status: "done", finishedAt: new Date() })
    .where(and(eq(jobs.entryId, entryId), eq(jobs.kind, "analyze-entry")));
}

async function analyzeJobs(entryId: string) {
  return await testDb()
    .select({ id: jobs.id, payload: jobs.payload })
    .from(jobs)
    .where(and(eq(jobs.entryId, entryId), eq(jobs.kind, "analyze-entry")));
}

describe("POST /v1/entries/{id}/reanalyze", () => {
  it("queues a fresh analysis of the current text, and replays under the same Idempotency-Key", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "A calm walk by the canal." });
    await call(`/v1/entries/${entry.id}`, {
      method: "PATCH",
      token: user.accessToken,
      body: { content: "A calm, long walk by the canal." },
    }).then((res) => json(res, 200));
    await finishAnalysis(entry.id);

    const headers = { "Idempotency-Key": `reanalyze-${crypto.randomUUID()}` };
    const first = await reanalyze(user, entry.id, headers);
    const queued = reanalyzeResponseSchema.parse(await json(first, 202));
    expect(queued.created).toBe(true);
    const job = (await analyzeJobs(entry.id)).find((j) => j.id === queued.jobId);
    // The same version is analysed again: an edit meanwhile would make this result stale.
    expect(job?.payload).toEqual({ entryId: entry.id, contentVersion: 2 });

    const read = entrySchema.parse(
      await json(await call(`/v1/entries/${entry.id}`, { token: user.accessToken }), 200),
    );
    expect(read.analysis).toEqual({ status: "pending" });
    expect(read.jobId).toBe(queued.jobId);
    const status = await json<{ kind: string }>(
      await call(`/v1/jobs/${queued.jobId}`, { token: user.accessToken }),
      200,
    );
    expect(status.kind).toBe("analyze-entry");

    const replay = await reanalyze(user, entry.id, headers);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await json(replay, 202)).toEqual(queued);
    expect(await analyzeJobs(entry.id)).toHaveLength(3);
    // No new version: the text did not change.
    const versions = await json<{ items: unknown[] }>(
      await call(`/v1/entries/${entry.id}/versions`, { token: user.accessToken }),
      200,
    );
    expect(versions.items).toHaveLength(2);
  });

  it("while an analysis is pending, answers that job and queues nothing", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Still being analysed." });
    const answer = reanalyzeResponseSchema.parse(await json(await reanalyze(user, entry.id), 202));
    expect(answer).toEqual({ jobId: entry.jobId, created: false });
    expect(await analyzeJobs(entry.id)).toHaveLength(1);

    // A pending analysis whose job ended without a word is queued again rather than waited on forever.
    await testDb()
      .update(jobs)
      .set({ status: "failed", finishedAt: new Date() })
      .where(eq(jobs.id, entry.jobId ?? ""));
    const requeued = reanalyzeResponseSchema.parse(await json(await reanalyze(user, entry.id), 202));
    expect(requeued.created).toBe(true);
    expect(requeued.jobId).not.toBe(entry.jobId);
  });

  it("answers 404 for another user's entry, a deleted one and an unknown id; needs entries:write", async () => {
    const owner = await registerUser();
    const other = await registerUser();
    const entry = await createEntry(owner, { content: "Not yours." });
    await finishAnalysis(entry.id);
    await expectProblem(await reanalyze(other, entry.id), 404, "NOT_FOUND");
    await expectProblem(await reanalyze(owner, crypto.randomUUID()), 404, "NOT_FOUND");
    await expectProblem(await reanalyze(owner, "not-an-id"), 404, "NOT_FOUND");

    const reader = await createKey(owner, ["entries:read", "ai"]);
    await expectProblem(await reanalyze(reader.key, entry.id), 403, "FORBIDDEN");
    expect(await analyzeJobs(entry.id)).toHaveLength(1);
    const writer = await createKey(owner, ["entries:write"]);
    expect(
      reanalyzeResponseSchema.parse(await json(await reanalyze(writer.key, entry.id), 202)).created,
    ).toBe(true);

    const gone = await createEntry(owner, { content: "Deleted." });
    expect(
      (await call(`/v1/entries/${gone.id}`, { method: "DELETE", token: owner.accessToken })).status,
    ).toBe(204);
    await expectProblem(await reanalyze(owner, gone.id), 404, "NOT_FOUND");
  });
});
