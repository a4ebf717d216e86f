import { type Entry, entrySchema, jobSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createEntry, json } from "../entries/helpers.ts";
import { call, createKey, expectProblem, registerUser, type TestUser } from "../harness.ts";
import { analysisResult, CALLBACK, deliveredCallback, postSigned } from "../pipeline/helpers.ts";

async function read(user: TestUser, id: string): Promise<Entry> {
  return entrySchema.parse(await json(await call(`/v1/entries/${id}`, { token: user.accessToken }), 200));
}

async function listed(user: TestUser, id: string): Promise<Entry | undefined> {
  const page = z
    .object({ items: z.array(entrySchema) })
    .parse(await json(await call("/v1/entries?limit=100", { token: user.accessToken }), 200));
  return page.items.find((e) => e.id === id);
}

/** The node's answer for the job, delivered through QStash's signed callback as in production. */
async function finishAnalysis(entry: Entry, jobId: string, contentVersion: number): Promise<void> {
  const body = await deliveredCallback({
    answer: analysisResult(jobId, entry.id, contentVersion),
    source: { jobId, attempt: 1, entryId: entry.id, contentVersion },
  });
  expect((await json<{ outcome: string }>(await postSigned(CALLBACK, body), 200)).outcome).toBe("applied");
}

describe("jobId on an entry while its analysis is pending", () => {
  it("reads and lists carry the pending analysis job, the latest after an edit, and drop it once analysed", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Walked to the harbour." });
    expect(entry.jobId).toBeTruthy();
    expect((await read(user, entry.id)).jobId).toBe(entry.jobId);
    expect((await listed(user, entry.id))?.jobId).toBe(entry.jobId);
    const job = jobSchema.parse(
      await json(await call(`/v1/jobs/${entry.jobId}`, { token: user.accessToken }), 200),
    );
    expect(job).toMatchObject({ id: entry.jobId, kind: "analyze-entry", entryId: entry.id });

    const edited = entrySchema.parse(
      await json(
        await call(`/v1/entries/${entry.id}`, {
          method: "PATCH",
          token: user.accessToken,
          body: { content: "Walked to the harbour, then home." },
        }),
        200,
      ),
    );
    expect(edited.jobId).toBeTruthy();
    expect(edited.jobId).not.toBe(entry.jobId);
    expect((await read(user, entry.id)).jobId).toBe(edited.jobId);

    await finishAnalysis(entry, edited.jobId ?? "", 2);
    const done = await read(user, entry.id);
    expect(done.analysis.status).toBe("done");
    expect(done.jobId).toBeUndefined();
    expect((await listed(user, entry.id))?.jobId).toBeUndefined();
  });
});

describe("GET /v1/jobs/{id} for the key that started the job", () => {
  it("an ai-only key polls the reflection it asked for, but not an entry's analysis", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "A week of early mornings." });
    const ai = await createKey(user, ["ai"]);
    const accepted = await json<{ jobId: string }>(
      await call("/v1/insights/reflections", { token: ai.key, body: { period: "week" } }),
      202,
    );
    const job = jobSchema.parse(await json(await call(`/v1/jobs/${accepted.jobId}`, { token: ai.key }), 200));
    expect(job.id).toBe(accepted.jobId);
    const refused = await call(`/v1/jobs/${entry.jobId}`, { token: ai.key });
    await expectProblem(refused, 403, "FORBIDDEN");
    expect(refused.headers.get("WWW-Authenticate")).toContain('scope="entries:read entries:write"');
  });

  it("an entries:write-only key polls the analysis of the entry it wrote, not a reflection", async () => {
    const user = await registerUser();
    const writer = await createKey(user, ["entries:write"]);
    const created = entrySchema.parse(
      await json(
        await call("/v1/entries", { token: writer.key, body: { content: "Written by a script." } }),
        201,
      ),
    );
    const job = jobSchema.parse(
      await json(await call(`/v1/jobs/${created.jobId}`, { token: writer.key }), 200),
    );
    expect(job).toMatchObject({ kind: "analyze-entry", entryId: created.id });
    const reflection = await json<{ jobId: string }>(
      await call("/v1/insights/reflections", { token: user.accessToken, body: { period: "week" } }),
      202,
    );
    await expectProblem(await call(`/v1/jobs/${reflection.jobId}`, { token: writer.key }), 403, "FORBIDDEN");
  });

  it("entries:read reads every job of its user; another user, an unknown and a malformed id get 404", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const entry = await createEntry(user, { content: "Mine alone." });
    const reader = await createKey(user, ["entries:read"]);
    const reflection = await json<{ jobId: string }>(
      await call("/v1/insights/reflections", { token: user.accessToken, body: { period: "week" } }),
      202,
    );
    for (const id of [entry.jobId, reflection.jobId]) {
      expect((await call(`/v1/jobs/${id}`, { token: reader.key })).status).toBe(200);
    }
    const otherAi = await createKey(other, ["ai", "entries:read", "entries:write"]);
    for (const id of [entry.jobId, reflection.jobId, crypto.randomUUID(), "not-a-job"]) {
      await expectProblem(await call(`/v1/jobs/${id}`, { token: otherAi.key }), 404, "NOT_FOUND");
    }
  });
});
