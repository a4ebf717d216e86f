import { entrySchema, uuidv7 } from "@inkwell/shared";
import { and, eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { entries, entryAnalyses, entryEmbeddings, jobs } from "../../src/db/schema/index.ts";
import { MAX_ATTEMPTS } from "../../src/services/job-dispatch.ts";
import { createEntry, json } from "../entries/helpers.ts";
import {
  call,
  edgeEnv,
  expectProblem,
  registerAdmin,
  registerUser,
  type TestUser,
  testDb,
} from "../harness.ts";
import {
  analysisResult,
  CALLBACK,
  callbackBody,
  deliveredCallback,
  FAILURE,
  postSigned,
  publicUrl,
  recordDelivery,
  removeTestNodes,
} from "./helpers.ts";

afterAll(removeTestNodes);

async function getEntry(user: TestUser, id: string) {
  return entrySchema.parse(await json(await call(`/v1/entries/${id}`, { token: user.accessToken }), 200));
}

async function deliver(jobId: string, entryId: string, contentVersion: number, attempt = 1) {
  const body = await deliveredCallback({
    answer: analysisResult(jobId, entryId, contentVersion),
    source: { jobId, attempt, entryId, contentVersion },
  });
  const res = await postSigned(CALLBACK, body);
  return (await json<{ outcome: string }>(res, 200)).outcome;
}

/** A job row in a known state, beside the one the write created (which the background dispatch owns). */
async function jobFor(user: TestUser, entryId: string, state: { attempts: number; contentVersion?: number }) {
  const id = uuidv7();
  await testDb()
    .insert(jobs)
    .values({
      id,
      userId: user.id,
      entryId,
      kind: "analyze-entry",
      status: "running",
      attempts: state.attempts,
      payload: { entryId, contentVersion: state.contentVersion ?? 1 },
      startedAt: new Date(),
    });
  return id;
}

describe("QStash result callback", () => {
  it("writes the analysis, the embedding and the job once; a duplicate delivery changes nothing", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Walked along the harbour; the gulls were loud." });
    expect(entry.analysis.status).toBe("pending");
    const jobId = entry.jobId ?? "";
    expect(await deliver(jobId, entry.id, 1)).toBe("applied");

    const done = await getEntry(user, entry.id);
    expect(done.analysis).toMatchObject({
      status: "done",
      sentiment: { label: "positive", score: 0.72 },
      emotions: [
        { label: "joy", score: 0.8 },
        { label: "neutral", score: 0.2 },
      ],
      keywords: ["harbour", "gulls"],
      safety: { level: "none" },
      model: "test-sentiment+test-emotion+test-embed-3d",
    });
    const [vector] = await testDb()
      .select()
      .from(entryEmbeddings)
      .where(eq(entryEmbeddings.entryId, entry.id));
    expect(vector).toMatchObject({ model: "test-embed-3d", dims: 3, contentVersion: 1, userId: user.id });
    expect(vector?.embedding.map((v) => Math.round(v * 10) / 10)).toEqual([0.6, 0.8, 0]);
    expect(vector?.indexedAt).not.toBeNull();
    const job = await json<{ status: string; error: string | null }>(
      await call(`/v1/jobs/${jobId}`, { token: user.accessToken }),
      200,
    );
    expect(job).toMatchObject({ status: "done", error: null });

    expect(await deliver(jobId, entry.id, 1)).toBe("duplicate");
    const again = await getEntry(user, entry.id);
    expect(again.analysis.analyzedAt).toBe(done.analysis.analyzedAt);
  });

  it("discards a result computed for text that was edited meanwhile; the newer job's result wins", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "First draft of the day." });
    const patched = entrySchema.parse(
      await json(
        await call(`/v1/entries/${entry.id}`, {
          method: "PATCH",
          token: user.accessToken,
          body: { content: "Second draft." },
        }),
        200,
      ),
    );
    expect(patched.jobId).toBeDefined();
    expect(await deliver(entry.jobId ?? "", entry.id, 1)).toBe("discarded-stale");
    expect((await getEntry(user, entry.id)).analysis.status).toBe("pending");
    expect(
      await testDb().select().from(entryEmbeddings).where(eq(entryEmbeddings.entryId, entry.id)),
    ).toEqual([]);

    expect(await deliver(patched.jobId ?? "", entry.id, 2)).toBe("applied");
    expect((await getEntry(user, entry.id)).analysis.status).toBe("done");
    // The old job's result, arriving late again, still changes nothing.
    expect(await deliver(entry.jobId ?? "", entry.id, 1)).toBe("duplicate");
    const [vector] = await testDb()
      .select()
      .from(entryEmbeddings)
      .where(eq(entryEmbeddings.entryId, entry.id));
    expect(vector?.contentVersion).toBe(2);
  });

  it("drops a result for an entry deleted meanwhile", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Soon gone." });
    expect(
      (await call(`/v1/entries/${entry.id}`, { method: "DELETE", token: user.accessToken })).status,
    ).toBe(204);
    expect(await deliver(entry.jobId ?? "", entry.id, 1)).toBe("discarded-stale");
    expect(
      await testDb().select().from(entryEmbeddings).where(eq(entryEmbeddings.entryId, entry.id)),
    ).toEqual([]);
    // The node upserted the vector before answering, maybe after the delete's purge: it is purged again.
    const purges = await testDb()
      .select({ payload: jobs.payload })
      .from(jobs)
      .where(and(eq(jobs.userId, user.id), eq(jobs.kind, "purge-entry-vectors")));
    expect(purges).toHaveLength(2);
    expect(purges.map((p) => p.payload)).toContainEqual({ entryIds: [entry.id] });
  });

  it("refuses forged, tampered, misaddressed and unsigned callbacks with 401 and writes nothing", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Nobody but QStash may answer for this." });
    const body = await deliveredCallback({
      answer: analysisResult(entry.jobId ?? "", entry.id, 1),
      source: { jobId: entry.jobId ?? "", attempt: 1 },
    });
    for (const path of [CALLBACK, FAILURE]) {
      await expectProblem(
        await postSigned(path, body, { key: "sig_not-the-signing-key-0123456789" }),
        401,
        "UNAUTHENTICATED",
      );
      await expectProblem(await postSigned(path, body, { signedBody: `${body} ` }), 401, "UNAUTHENTICATED");
      await expectProblem(
        await postSigned(path, body, { signedUrl: publicUrl("/somewhere-else") }),
        401,
        "UNAUTHENTICATED",
      );
      await expectProblem(await postSigned(path, body, { signature: null }), 401, "UNAUTHENTICATED");
      await expectProblem(await postSigned(path, body, { signature: "not.a.jwt" }), 401, "UNAUTHENTICATED");
    }
    // The next signing key (rotation) is accepted.
    const next = await postSigned(CALLBACK, body, { key: edgeEnv.QSTASH_NEXT_SIGNING_KEY ?? "" });
    expect(next.status).toBe(200);
  });

  it("accepts callbacks larger than the public body limit (a reindex page travels back as sourceBody)", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Big callback." });
    const source = { jobId: entry.jobId ?? "", attempt: 1, padding: "x".repeat(400 * 1024) };
    const body = await deliveredCallback({ answer: analysisResult(entry.jobId ?? "", entry.id, 1), source });
    expect(body.length).toBeGreaterThan(256 * 1024);
    expect((await json<{ outcome: string }>(await postSigned(CALLBACK, body), 200)).outcome).toBe("applied");
  });

  it("never accepts the public QStash dev-server keys, even with QSTASH_DEV set", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Signed with a key everyone knows." });
    const body = await deliveredCallback({
      answer: analysisResult(entry.jobId ?? "", entry.id, 1),
      source: { jobId: entry.jobId ?? "", attempt: 1 },
    });
    const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
    const before = env?.QSTASH_DEV;
    if (env) env.QSTASH_DEV = "true";
    try {
      await expectProblem(
        await postSigned(CALLBACK, body, { key: "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r" }),
        401,
        "UNAUTHENTICATED",
      );
    } finally {
      if (env) {
        if (before === undefined) delete env.QSTASH_DEV;
        else env.QSTASH_DEV = before;
      }
    }
    expect((await getEntry(user, entry.id)).analysis.status).toBe("pending");
  });

  it("answers 400 to a signed body that is not a callback", async () => {
    await expectProblem(
      await postSigned(CALLBACK, JSON.stringify({ hello: "world" })),
      400,
      "VALIDATION_FAILED",
    );
    await expectProblem(await postSigned(CALLBACK, "not json"), 400, "VALIDATION_FAILED");
  });
});

describe("a node's answer is bound to the job it was given", () => {
  async function post(body: string) {
    return await postSigned(CALLBACK, body);
  }
  async function outcome(res: Response) {
    return (await json<{ outcome: string }>(res, 200)).outcome;
  }
  async function vectorsOf(entryId: string) {
    return await testDb().select().from(entryEmbeddings).where(eq(entryEmbeddings.entryId, entryId));
  }

  it("refuses a result that names another writer's entry: nothing is written there", async () => {
    const attacker = await registerUser();
    const victim = await registerUser();
    const own = await createEntry(attacker, { content: "The job this node was given." });
    const target = await createEntry(victim, { content: "Someone else's private entry." });
    const jobId = await jobFor(attacker, own.id, { attempts: 1 });
    const body = await deliveredCallback({
      answer: analysisResult(jobId, target.id, 1),
      source: { jobId, attempt: 1, entryId: own.id, contentVersion: 1 },
    });
    expect(await outcome(await post(body))).toBe("requeued");
    expect((await getEntry(victim, target.id)).analysis.status).toBe("pending");
    expect(await vectorsOf(target.id)).toEqual([]);
    expect((await getEntry(attacker, own.id)).analysis.status).toBe("pending");
  });

  it("refuses a result for another content version than the job's", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Version one." });
    const jobId = await jobFor(user, entry.id, { attempts: 1, contentVersion: 1 });
    await testDb().update(entries).set({ contentVersion: 7 }).where(eq(entries.id, entry.id));
    await testDb()
      .update(entryAnalyses)
      .set({ contentVersion: 7 })
      .where(eq(entryAnalyses.entryId, entry.id));
    const body = await deliveredCallback({
      answer: analysisResult(jobId, entry.id, 7),
      source: { jobId, attempt: 1 },
    });
    expect(await outcome(await post(body))).toBe("requeued");
    expect((await getEntry(user, entry.id)).analysis.status).toBe("pending");
  });

  it("applies nothing for a message the edge never published for the job (a node minting callbacks)", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Only the delivered message may answer." });
    const jobId = await jobFor(user, entry.id, { attempts: 1 });
    await recordDelivery(jobId);
    const forged = callbackBody({
      answer: analysisResult(jobId, entry.id, 1),
      source: { jobId, attempt: 1 },
    });
    expect(await outcome(await post(forged))).toBe("unbound-delivery");
    const failure = callbackBody({ status: 500, source: { jobId, attempt: 1 } });
    expect(await outcome(await postSigned(FAILURE, failure))).toBe("unbound-delivery");
    const [row] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
    expect(row).toMatchObject({ status: "running", attempts: 1 });
    expect((await getEntry(user, entry.id)).analysis.status).toBe("pending");
  });

  it("never takes the job from the node's answer: without the delivered message's body nothing is applied", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "The answer names a job; that proves nothing." });
    const jobId = await jobFor(user, entry.id, { attempts: 1 });
    const messageId = await recordDelivery(jobId);
    const body = callbackBody({ messageId, answer: analysisResult(jobId, entry.id, 1) });
    expect(await outcome(await post(body))).toBe("unknown-job");
    expect((await getEntry(user, entry.id)).analysis.status).toBe("pending");
  });

  it("asks QStash to retry a callback that arrives before its publish was recorded", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Faster than the publish's answer." });
    const jobId = await jobFor(user, entry.id, { attempts: 1 });
    const early = callbackBody({ answer: analysisResult(jobId, entry.id, 1), source: { jobId, attempt: 1 } });
    const res = await post(early);
    await expectProblem(res, 503, "SERVICE_UNAVAILABLE");
    expect(res.headers.get("Retry-After")).toBeTruthy();
    expect((await getEntry(user, entry.id)).analysis.status).toBe("pending");
  });

  it("treats the answer as untrusted: wrong dimensions, another model's space, repeated labels, huge lists", async () => {
    const user = await registerUser();
    const bad: ((r: ReturnType<typeof analysisResult>) => unknown)[] = [
      (r) => ({ ...r, dims: 4 }),
      (r) => ({ ...r, embedding: [0.5, 0.5, 0.5, 0.5], dims: 4 }),
      (r) => ({ ...r, emotions: [r.emotions[0], r.emotions[0]] }),
      (r) => ({ ...r, emotions: [{ label: "smug", score: 1 }] }),
      (r) => ({ ...r, keywords: Array.from({ length: 5000 }, (_, i) => `word${i}`) }),
      (r) => ({ ...r, keywords: ["x".repeat(10_000)] }),
      (r) => ({ ...r, embedding: [], dims: 0 }),
    ];
    // Another entry's vector puts test-embed-3d in a 3-dimensional space.
    const seed = await createEntry(user, { content: "Seeds the model's dimensions." });
    const seedJob = await jobFor(user, seed.id, { attempts: 1 });
    expect(
      await outcome(
        await post(
          await deliveredCallback({
            answer: analysisResult(seedJob, seed.id, 1),
            source: { jobId: seedJob, attempt: 1 },
          }),
        ),
      ),
    ).toBe("applied");
    for (const mutate of bad) {
      const entry = await createEntry(user, { content: "An answer to doubt." });
      const jobId = await jobFor(user, entry.id, { attempts: 1 });
      const body = await deliveredCallback({
        answer: mutate(analysisResult(jobId, entry.id, 1)),
        source: { jobId, attempt: 1 },
      });
      expect(await outcome(await post(body))).toBe("requeued");
      expect((await getEntry(user, entry.id)).analysis.status).toBe("pending");
      expect(await vectorsOf(entry.id)).toEqual([]);
    }
  });
});

describe("QStash failure callback", () => {
  it("re-dispatches a failed attempt, and after the last attempt marks job and entry failed with the reason", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "A node will fail on this one." });
    const jobId = await jobFor(user, entry.id, { attempts: 1 });
    const failure = async (attempt: number) =>
      await deliveredCallback({
        status: 503,
        answer: { code: "SERVICE_UNAVAILABLE", detail: "The inference node is overloaded" },
        source: { jobId, attempt },
      });

    expect((await json<{ outcome: string }>(await postSigned(FAILURE, await failure(1)), 200)).outcome).toBe(
      "requeued",
    );
    let [row] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
    // No node in this suite serves every analysis model, so the job waits, saying why.
    expect(row).toMatchObject({ status: "queued", attempts: 1 });
    expect(row?.error).toMatch(/waiting for a healthy inference node/i);

    // A late failure of an attempt that is not the current one changes nothing.
    await testDb().update(jobs).set({ status: "running", attempts: MAX_ATTEMPTS }).where(eq(jobs.id, jobId));
    expect((await json<{ outcome: string }>(await postSigned(FAILURE, await failure(1)), 200)).outcome).toBe(
      "ignored-stale-attempt",
    );

    expect(
      (await json<{ outcome: string }>(await postSigned(FAILURE, await failure(MAX_ATTEMPTS)), 200)).outcome,
    ).toBe("failed");
    [row] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
    expect(row?.status).toBe("failed");
    expect(row?.error).toContain("HTTP 503: The inference node is overloaded");
    const failed = await getEntry(user, entry.id);
    expect(failed.analysis.status).toBe("failed");
    // The writer gets a fixed sentence; node answers and QStash detail are for administrators.
    const seen = await json<{ error: string | null }>(
      await call(`/v1/jobs/${jobId}`, { token: user.accessToken }),
      200,
    );
    for (const text of [seen.error ?? "", JSON.stringify(failed.analysis)]) {
      expect(text).toContain("An administrator can see why");
      expect(text).not.toMatch(/HTTP|overloaded|QStash|node answered/);
    }

    // Operators see it, and can retry it.
    const admin = await registerAdmin();
    const page = await json<{ items: { id: string; status: string }[] }>(
      await call("/v1/admin/jobs?status=failed&limit=100", { token: admin.accessToken }),
      200,
    );
    expect(page.items.every((j) => j.status === "failed")).toBe(true);
    expect(page.items.map((j) => j.id)).toContain(jobId);
    const retried = await json<{ status: string; attempts: number }>(
      await call(`/v1/admin/jobs/${jobId}/retry`, { method: "POST", token: admin.accessToken }),
      202,
    );
    expect(retried).toMatchObject({ status: "queued", attempts: 0 });
    expect((await getEntry(user, entry.id)).analysis.status).toBe("pending");
    await expectProblem(
      await call(`/v1/admin/jobs/${jobId}/retry`, { method: "POST", token: admin.accessToken }),
      409,
      "CONFLICT",
    );

    // A result that arrives after all still lands.
    await testDb().update(jobs).set({ status: "running", attempts: 1 }).where(eq(jobs.id, jobId));
    expect(await deliver(jobId, entry.id, 1)).toBe("applied");
    expect((await getEntry(user, entry.id)).analysis.status).toBe("done");
  });

  it("never gives up a purge: out of attempts it is retried later, further apart each time", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Its vector must leave the index." });
    const jobId = uuidv7();
    await testDb()
      .insert(jobs)
      .values({
        id: jobId,
        userId: user.id,
        kind: "purge-entry-vectors",
        status: "running",
        attempts: MAX_ATTEMPTS,
        payload: { entryIds: [entry.id] },
        startedAt: new Date(),
      });
    const body = await deliveredCallback({ status: 500, source: { jobId, attempt: MAX_ATTEMPTS } });
    expect((await json<{ outcome: string }>(await postSigned(FAILURE, body), 200)).outcome).toBe("requeued");
    const [row] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
    expect(row?.status).toBe("queued");
    expect(row?.availableAt.getTime()).toBeGreaterThan(Date.now() + 20_000);
  });

  it("a node that cannot be reached is kept away from new work until it heartbeats again", async () => {
    const { registerNode, beat } = await import("./helpers.ts");
    const { nodes } = await import("../../src/db/schema/index.ts");
    const admin = await registerAdmin();
    const node = await registerNode(admin);
    await beat(node.token);
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Delivered to a machine that just died." });
    const jobId = await jobFor(user, entry.id, { attempts: 1 });
    await testDb().update(jobs).set({ nodeId: node.id }).where(eq(jobs.id, jobId));
    const body = await deliveredCallback({
      status: 0,
      error: "connect ECONNREFUSED",
      source: { jobId, attempt: 1 },
    });
    expect((await json<{ outcome: string }>(await postSigned(FAILURE, body), 200)).outcome).toBe("requeued");
    const listed = await json<{ items: { id: string; status: string }[] }>(
      await call("/v1/admin/nodes?limit=100", { token: admin.accessToken }),
      200,
    );
    expect(listed.items.find((n) => n.id === node.id)?.status).toBe("offline");
    const [row] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
    expect(row?.error).toContain("could not be reached");
    await beat(node.token);
    const [after] = await testDb().select().from(nodes).where(eq(nodes.id, node.id));
    expect(after?.unreachableSince).toBeNull();
  });
});
