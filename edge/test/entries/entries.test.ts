import { jobSchema } from "@inkwell/shared";
import { Redis } from "@upstash/redis/cloudflare";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entryAnalyses } from "../../src/db/schema/index.ts";
import { idempotencyRecordKey } from "../../src/middleware/idempotency.ts";
import {
  call,
  createKey,
  edgeEnv,
  expectProblem,
  expectValidationPaths,
  registerUser,
  testDb,
} from "../harness.ts";
import { createEntry, createTopic, json, listAll } from "./helpers.ts";

describe("POST /v1/entries", () => {
  it("stores the entry with a pending analysis and a queued job, in one go", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, {
      content: "Ran 10 km by the river. Legs heavy, head light.",
      title: "Long run",
      mood: 7,
      tags: ["Running", "running", " health "],
    });
    expect(entry).toMatchObject({
      title: "Long run",
      mood: 7,
      tags: ["running", "health"],
      favorite: false,
      wordCount: 12,
      analysis: { status: "pending" },
    });
    expect(entry.jobId).toBeTruthy();
    const job = jobSchema.parse(
      await json(await call(`/v1/jobs/${entry.jobId}`, { token: user.accessToken }), 200),
    );
    expect(job).toMatchObject({ kind: "analyze-entry", status: "queued", attempts: 0, entryId: entry.id });
  });

  it("defaults occurredAt to now and keeps a given one", async () => {
    const user = await registerUser();
    const before = Date.now();
    const now = await createEntry(user, { content: "today" });
    expect(Date.parse(now.occurredAt)).toBeGreaterThanOrEqual(before - 1000);
    const past = await createEntry(user, { content: "then", occurredAt: "2025-03-01T23:30:00+01:00" });
    expect(past.occurredAt).toBe("2025-03-01T22:30:00.000Z");
  });

  it("refuses bad input with clear paths", async () => {
    const user = await registerUser();
    const post = (body: unknown) => call("/v1/entries", { token: user.accessToken, body });
    expect(await expectValidationPaths(await post({ content: "   " }))).toContain("content");
    expect(await expectValidationPaths(await post({}))).toContain("content");
    expect(await expectValidationPaths(await post({ content: "x", occurredAt: "yesterday" }))).toContain(
      "occurredAt",
    );
    expect(await expectValidationPaths(await post({ content: "x", mood: 11 }))).toContain("mood");
    expect(await expectValidationPaths(await post({ content: "x", tags: [1, 2] }))).toContain("tags.0");
    const many = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
    expect(await expectValidationPaths(await post({ content: "x", tags: many }))).toContain("tags");
    expect(await expectValidationPaths(await post({ content: "x", surprise: true }))).toContain("(root)");
    await expectProblem(await post("{not json"), 400, "VALIDATION_FAILED");
  });

  it("answers 413 for content over 64 KiB and 404 for a topic that is not yours", async () => {
    const user = await registerUser();
    await expectProblem(
      await call("/v1/entries", { token: user.accessToken, body: { content: "é".repeat(33 * 1024) } }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    const other = await registerUser();
    const theirs = await createTopic(other, "Theirs");
    await expectProblem(
      await call("/v1/entries", { token: user.accessToken, body: { content: "x", topicIds: [theirs.id] } }),
      404,
      "NOT_FOUND",
    );
  });

  it("replays an Idempotency-Key and refuses it with another body", async () => {
    const user = await registerUser();
    const key = `idem-${crypto.randomUUID()}`;
    const headers = { "Idempotency-Key": key };
    const first = await json<{ id: string }>(
      await call("/v1/entries", { token: user.accessToken, body: { content: "once" }, headers }),
      201,
    );
    const again = await call("/v1/entries", { token: user.accessToken, body: { content: "once" }, headers });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect((await json<{ id: string }>(again, 201)).id).toBe(first.id);
    await expectProblem(
      await call("/v1/entries", { token: user.accessToken, body: { content: "twice" }, headers }),
      409,
      "CONFLICT",
    );
    expect(await listAll(user, "")).toHaveLength(1);
  });

  it("answers a retry whose first try committed but lost its answer and its Redis record with the entry that try wrote", async () => {
    const user = await registerUser();
    const key = `idem-${crypto.randomUUID()}`;
    const headers = { "Idempotency-Key": key };
    const redis = new Redis({
      url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
      token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    });
    const recordKey = await idempotencyRecordKey(user.id, "POST", "/v1/entries", key);
    const first = await json<{ id: string }>(
      await call("/v1/entries", { token: user.accessToken, body: { content: "written once" }, headers }),
      201,
    );
    // The Worker died after the commit, before it stored the answer: its pending record expired.
    await redis.del(recordKey);
    const retry = await call("/v1/entries", {
      token: user.accessToken,
      body: { content: "written once" },
      headers,
    });
    expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
    expect((await json<{ id: string; content: string }>(retry, 201)).id).toBe(first.id);
    expect(await listAll(user, "")).toHaveLength(1);
    // Another key is another entry, and an entry deleted since is not written again by its key.
    await createEntry(user, { content: "written once" });
    expect(await listAll(user, "")).toHaveLength(2);
    expect(
      (await call(`/v1/entries/${first.id}`, { method: "DELETE", token: user.accessToken })).status,
    ).toBe(204);
    await redis.del(recordKey);
    await expectProblem(
      await call("/v1/entries", { token: user.accessToken, body: { content: "written once" }, headers }),
      409,
      "CONFLICT",
    );
    expect(await listAll(user, "")).toHaveLength(1);
  });

  it("needs a token and the entries:write scope", async () => {
    const user = await registerUser();
    await expectProblem(await call("/v1/entries", { body: { content: "x" } }), 401, "UNAUTHENTICATED");
    const reader = await createKey(user, ["entries:read"]);
    await expectProblem(
      await call("/v1/entries", { token: reader.key, body: { content: "x" } }),
      403,
      "FORBIDDEN",
    );
    const writer = await createKey(user, ["entries:write"]);
    await json(await call("/v1/entries", { token: writer.key, body: { content: "by key" } }), 201);
    await json(await call("/v1/entries", { token: reader.key }), 200);
  });
});

describe("GET /v1/entries/{id}", () => {
  it("carries an ETag and answers 304 to If-None-Match", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "etag me" });
    const res = await call(`/v1/entries/${entry.id}`, { token: user.accessToken });
    const etag = res.headers.get("ETag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    await json(res, 200);
    const again = await call(`/v1/entries/${entry.id}`, {
      token: user.accessToken,
      headers: { "If-None-Match": etag ?? "" },
    });
    expect(again.status).toBe(304);
  });

  it("answers 404 for an unknown or malformed id", async () => {
    const user = await registerUser();
    await expectProblem(
      await call(`/v1/entries/${crypto.randomUUID()}`, { token: user.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(await call("/v1/entries/' or 1=1 --", { token: user.accessToken }), 404, "NOT_FOUND");
  });
});

describe("GET /v1/entries", () => {
  it("pages newest first with cursors and no duplicates", async () => {
    const user = await registerUser();
    for (let i = 0; i < 25; i++) {
      await createEntry(user, {
        content: `entry ${i}`,
        occurredAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      });
    }
    const first = await json<{ items: { content: string }[]; nextCursor: string | null }>(
      await call("/v1/entries?limit=10", { token: user.accessToken }),
      200,
    );
    expect(first.items.map((e) => e.content).slice(0, 2)).toEqual(["entry 24", "entry 23"]);
    expect(first.nextCursor).toBeTruthy();
    const all = await listAll(user, "?limit=10");
    expect(all.map((e) => e.content)).toEqual(Array.from({ length: 25 }, (_, i) => `entry ${24 - i}`));
  });

  it("filters by date range, tag, favourite, topic and keyword", async () => {
    const user = await registerUser();
    const topic = await createTopic(user, "Work");
    const a = await createEntry(user, {
      content: "Quarterly review with my manager went well",
      tags: ["work"],
      topicIds: [topic.id],
      occurredAt: "2026-02-10T10:00:00Z",
    });
    const b = await createEntry(user, {
      content: "Baked sourdough bread",
      tags: ["food"],
      occurredAt: "2026-03-10T10:00:00Z",
    });
    await json(await call(`/v1/entries/${b.id}/favorite`, { method: "PUT", token: user.accessToken }), 200);
    const ids = async (q: string) => (await listAll(user, q)).map((e) => e.id);
    expect(await ids("?from=2026-03-01T00:00:00Z")).toEqual([b.id]);
    expect(await ids("?to=2026-03-01T00:00:00Z")).toEqual([a.id]);
    expect(await ids("?tag=WORK")).toEqual([a.id]);
    expect(await ids("?favorite=true")).toEqual([b.id]);
    expect(await ids(`?topicId=${topic.id}`)).toEqual([a.id]);
    expect(await ids("?q=manager")).toEqual([a.id]);
    expect(await ids("?q=breads")).toEqual([b.id]);
  });

  it("refuses a tampered cursor and bad filters", async () => {
    const user = await registerUser();
    for (let i = 0; i < 3; i++) await createEntry(user, { content: `e${i}` });
    const page = await json<{ nextCursor: string }>(
      await call("/v1/entries?limit=1", { token: user.accessToken }),
      200,
    );
    const [payload, sig] = page.nextCursor.split(".");
    const forged = `${payload?.slice(0, -2)}AA.${sig}`;
    expect(
      await expectValidationPaths(
        await call(`/v1/entries?cursor=${encodeURIComponent(forged)}`, { token: user.accessToken }),
      ),
    ).toContain("cursor");
    expect(
      await expectValidationPaths(await call("/v1/entries?limit=0", { token: user.accessToken })),
    ).toContain("limit");
    expect(
      await expectValidationPaths(await call("/v1/entries?from=soon", { token: user.accessToken })),
    ).toContain("from");
  });
});

describe("PATCH and DELETE /v1/entries/{id}", () => {
  it("re-analyses changed text only, and honours If-Match", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "first draft" });
    const read = await call(`/v1/entries/${entry.id}`, { token: user.accessToken });
    const etag = read.headers.get("ETag") ?? "";
    const moodOnly = await json<{ jobId?: string; mood: number }>(
      await call(`/v1/entries/${entry.id}`, { method: "PATCH", token: user.accessToken, body: { mood: 4 } }),
      200,
    );
    expect(moodOnly.mood).toBe(4);
    // No new analysis: the answer names the one still pending from the create.
    expect(moodOnly.jobId).toBe(entry.jobId);
    await expectProblem(
      await call(`/v1/entries/${entry.id}`, {
        method: "PATCH",
        token: user.accessToken,
        body: { content: "lost update" },
        headers: { "If-Match": etag },
      }),
      412,
      "PRECONDITION_FAILED",
    );
    const fresh =
      (await call(`/v1/entries/${entry.id}`, { token: user.accessToken })).headers.get("ETag") ?? "";
    const edited = await json<{ jobId?: string; content: string; analysis: { status: string } }>(
      await call(`/v1/entries/${entry.id}`, {
        method: "PATCH",
        token: user.accessToken,
        body: { content: "second draft" },
        headers: { "If-Match": fresh },
      }),
      200,
    );
    expect(edited.content).toBe("second draft");
    expect(edited.jobId).toBeTruthy();
    expect(edited.jobId).not.toBe(entry.jobId);
    expect(edited.analysis.status).toBe("pending");
  });

  it("an edit clears every finding about the old text, thinking patterns included, until the new analysis lands", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "everyone at work must think i am useless" });
    await testDb()
      .update(entryAnalyses)
      .set({
        status: "done",
        sentimentLabel: "negative",
        sentimentScore: 0.9,
        keywords: ["work"],
        patterns: [{ label: "mind_reading", score: 0.8, evidence: "must think i am useless" }],
        analyzedAt: new Date(),
      })
      .where(eq(entryAnalyses.entryId, entry.id));
    const before = await json<{ analysis: { patterns?: unknown[] } }>(
      await call(`/v1/entries/${entry.id}`, { token: user.accessToken }),
      200,
    );
    expect(before.analysis.patterns).toHaveLength(1);
    await json(
      await call(`/v1/entries/${entry.id}`, {
        method: "PATCH",
        token: user.accessToken,
        body: { content: "had a calm lunch in the park" },
      }),
      200,
    );
    const after = await json<{ analysis: Record<string, unknown> }>(
      await call(`/v1/entries/${entry.id}`, { token: user.accessToken }),
      200,
    );
    expect(after.analysis).toEqual({ status: "pending" });
  });

  it("deletes: gone from reads and lists, and a second delete is 404", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "to be removed" });
    const res = await call(`/v1/entries/${entry.id}`, { method: "DELETE", token: user.accessToken });
    expect(res.status).toBe(204);
    await expectProblem(await call(`/v1/entries/${entry.id}`, { token: user.accessToken }), 404, "NOT_FOUND");
    expect(await listAll(user, "")).toEqual([]);
    await expectProblem(
      await call(`/v1/entries/${entry.id}`, { method: "DELETE", token: user.accessToken }),
      404,
      "NOT_FOUND",
    );
  });

  it("marks and unmarks favourites", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "keep this" });
    const on = await json<{ favorite: boolean }>(
      await call(`/v1/entries/${entry.id}/favorite`, { method: "PUT", token: user.accessToken }),
      200,
    );
    expect(on.favorite).toBe(true);
    const off = await json<{ favorite: boolean }>(
      await call(`/v1/entries/${entry.id}/favorite`, { method: "DELETE", token: user.accessToken }),
      200,
    );
    expect(off.favorite).toBe(false);
  });
});
