import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { type Reflection, uuidv7 } from "@inkwell/shared";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobs, reflections, users } from "../../src/db/schema/index.ts";
import { parseEnv } from "../../src/env.ts";
import { runScheduled } from "../../src/scheduled.ts";
import { buildStructuredReflection, type ReflectionFacts } from "../../src/services/reflections.ts";
import { weeklyReflectionsTask } from "../../src/services/reflections-cron.ts";
import { call, callWithEnv, edgeEnv, registerUser, type TestUser, testDb } from "../harness.ts";
import { getJson, seedEntries } from "./helpers.ts";

function config() {
  const parsed = parseEnv(edgeEnv);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.config;
}

async function requestReflection(user: TestUser, body: Record<string, unknown>) {
  // Waits for the response's background work, where the edge computes the reflection.
  const res = await callWithEnv({}, "/v1/insights/reflections", { token: user.accessToken, body });
  const text = await res.text();
  expect(res.status, text).toBe(202);
  return JSON.parse(text) as { jobId: string; reflectionId: string; status: string };
}

describe("POST /v1/insights/reflections", () => {
  it("creates a job and a reflection that cites only entries of its own week", async () => {
    const user = await registerUser();
    const [mon, tue, thu] = await seedEntries(user.id, [
      {
        occurredAt: "2025-01-13T08:00:00Z",
        sentiment: 0.5,
        words: 100,
        mood: 8,
        keywords: ["Garden", "sun"],
      },
      {
        occurredAt: "2025-01-14T08:00:00Z",
        sentiment: -0.5,
        words: 300,
        mood: 4,
        keywords: ["garden"],
        emotions: [{ label: "sadness", score: 0.9 }],
      },
      { occurredAt: "2025-01-16T08:00:00Z", words: 50 },
    ]);
    // Stronger candidates just outside the week on both sides: never cited.
    const outside = await seedEntries(user.id, [
      { occurredAt: "2025-01-12T23:59:59Z", sentiment: 1, words: 5000 },
      { occurredAt: "2025-01-20T00:00:00Z", sentiment: -1, words: 5000 },
    ]);
    const accepted = await requestReflection(user, { period: "week", at: "2025-01-15T12:00:00Z" });
    expect(accepted.status).toBe("pending");

    const job = await getJson<{ kind: string; status: string; nodeId: string | null }>(
      `/v1/jobs/${accepted.jobId}`,
      user,
    );
    expect(job).toMatchObject({ kind: "reflection", status: "done", nodeId: null });

    const page = await getJson<{ items: Reflection[]; nextCursor: string | null }>(
      "/v1/insights/reflections",
      user,
    );
    expect(page.items).toHaveLength(1);
    const reflection = page.items[0];
    expect(reflection).toMatchObject({
      id: accepted.reflectionId,
      period: "week",
      periodStart: "2025-01-13T00:00:00.000Z",
      periodEnd: "2025-01-20T00:00:00.000Z",
      status: "done",
      generated: false,
      jobId: accepted.jobId,
      stats: {
        entryCount: 3,
        totalWords: 450,
        daysWritten: 3,
        days: 7,
        avgMood: 6,
        avgSentiment: 0,
        analyzedEntries: 2,
      },
      themes: {
        keywords: [
          { label: "garden", count: 2 },
          { label: "sun", count: 1 },
        ],
        emotions: [{ label: "sadness", count: 1 }],
        topics: [],
      },
    });
    expect(reflection?.text).toContain("3 entries");
    expect(reflection?.citations).toEqual([
      { entryId: mon, reasons: ["highest-sentiment"], occurredAt: "2025-01-13T08:00:00.000Z" },
      { entryId: tue, reasons: ["lowest-sentiment", "longest"], occurredAt: "2025-01-14T08:00:00.000Z" },
    ]);
    const cited = new Set(reflection?.citations.map((c) => c.entryId));
    for (const id of outside) expect(cited.has(id)).toBe(false);
    expect(cited.has(thu ?? "")).toBe(false);

    const one = await getJson<Reflection>(`/v1/insights/reflections/${accepted.reflectionId}`, user);
    expect(one).toEqual(reflection);
  });

  it("asking again for the same period recomputes the same reflection", async () => {
    const user = await registerUser();
    await seedEntries(user.id, [{ occurredAt: "2025-02-03T08:00:00Z", sentiment: 0.5 }]);
    const first = await requestReflection(user, { period: "month", at: "2025-02-10T00:00:00Z" });
    await seedEntries(user.id, [{ occurredAt: "2025-02-04T08:00:00Z", sentiment: 0.25 }]);
    const second = await requestReflection(user, { period: "month", at: "2025-02-27T00:00:00Z" });
    expect(second.reflectionId).toBe(first.reflectionId);
    expect(second.jobId).not.toBe(first.jobId);
    const page = await getJson<{ items: Reflection[] }>("/v1/insights/reflections?period=month", user);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      periodStart: "2025-02-01T00:00:00.000Z",
      periodEnd: "2025-03-01T00:00:00.000Z",
      jobId: second.jobId,
      stats: { entryCount: 2, days: 28 },
    });
  });

  it("a period without entries gets an honest empty reflection", async () => {
    const user = await registerUser({ timezone: "Pacific/Auckland" });
    const { reflectionId } = await requestReflection(user, { period: "week" });
    const reflection = await getJson<Reflection>(`/v1/insights/reflections/${reflectionId}`, user);
    expect(reflection).toMatchObject({ status: "done", citations: [], stats: { entryCount: 0 } });
    expect(reflection.text).toBe("You wrote no entries this week.");
  });

  it("lists newest period first, a page at a time", async () => {
    const user = await registerUser();
    for (const at of ["2025-01-08T00:00:00Z", "2025-01-15T00:00:00Z", "2025-01-22T00:00:00Z"]) {
      await requestReflection(user, { period: "week", at });
    }
    const first = await getJson<{ items: Reflection[]; nextCursor: string | null }>(
      "/v1/insights/reflections?limit=2",
      user,
    );
    expect(first.items.map((r) => r.periodStart)).toEqual([
      "2025-01-20T00:00:00.000Z",
      "2025-01-13T00:00:00.000Z",
    ]);
    expect(first.nextCursor).not.toBeNull();
    const second = await getJson<{ items: Reflection[]; nextCursor: string | null }>(
      `/v1/insights/reflections?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? "")}`,
      user,
    );
    expect(second.items.map((r) => r.periodStart)).toEqual(["2025-01-06T00:00:00.000Z"]);
    expect(second.nextCursor).toBeNull();
  });
});

describe("buildStructuredReflection", () => {
  const base: ReflectionFacts = {
    period: "week",
    periodStart: new Date("2025-01-13T00:00:00Z"),
    periodEnd: new Date("2025-01-20T00:00:00Z"),
    days: 7,
    asOf: new Date("2025-01-20T01:00:00Z"),
    entryCount: 2,
    totalWords: 30,
    daysWritten: 2,
    avgMood: 5,
    avgSentiment: 0.1,
    analyzedEntries: 2,
    keywords: [],
    emotions: [],
    topics: [],
    notable: [],
  };

  it("never cites an entry outside the period, whatever it is handed", () => {
    const inside = uuidv7();
    const built = buildStructuredReflection({
      ...base,
      notable: [
        { entryId: uuidv7(), occurredAt: new Date("2025-01-12T23:59:59Z"), reason: "highest-sentiment" },
        { entryId: inside, occurredAt: new Date("2025-01-13T00:00:00Z"), reason: "lowest-sentiment" },
        { entryId: uuidv7(), occurredAt: new Date("2025-01-20T00:00:00Z"), reason: "longest" },
      ],
    });
    expect(built.citations.map((c) => c.entryId)).toEqual([inside]);
    expect(built.text).toContain("2 entries (30 words) on 2 of 7 days");
  });
});

describe("weekly reflections cron", () => {
  async function optIn(timezone: string): Promise<string> {
    const user = await registerUser({ timezone });
    await testDb().update(users).set({ weeklyReflection: true }).where(eq(users.id, user.id));
    return user.id;
  }

  async function weeklyOf(userIds: string[]) {
    return await testDb()
      .select()
      .from(reflections)
      .where(and(inArray(reflections.userId, userIds), eq(reflections.period, "week")));
  }

  const run = (scheduledTime: string) =>
    weeklyReflectionsTask.run({
      env: edgeEnv,
      config: config(),
      db: testDb(),
      scheduledTime: new Date(scheduledTime),
      waitUntil: () => {},
    });

  it("creates last week's reflection once per opted-in writer on their local Monday", async () => {
    const utc = await optIn("UTC");
    const tokyo = await optIn("Asia/Tokyo");
    const newYork = await optIn("America/New_York");
    const notOptedIn = (await registerUser()).id;
    const [cited] = await seedEntries(utc, [{ occurredAt: "2025-01-15T08:00:00Z", sentiment: 0.5 }]);
    await seedEntries(utc, [{ occurredAt: "2025-01-20T00:30:00Z", sentiment: 1 }]); // this week: not cited
    const all = [utc, tokyo, newYork, notOptedIn];

    // Sunday 12:00 UTC (Sunday 21:00 in Tokyo): nobody's Monday yet.
    await run("2025-01-19T12:00:00Z");
    expect(await weeklyOf(all)).toHaveLength(0);

    // Monday 01:00 UTC, twice: UTC and Tokyo are on Monday, New York still on Sunday evening.
    await run("2025-01-20T01:00:00Z");
    await run("2025-01-20T01:00:00Z");
    await run("2025-01-20T02:00:00Z");
    let rows = await weeklyOf(all);
    expect(rows.map((r) => [r.userId, r.periodStart.toISOString()]).sort()).toEqual(
      [
        [utc, "2025-01-13T00:00:00.000Z"],
        [tokyo, "2025-01-12T15:00:00.000Z"],
      ].sort(),
    );

    // New York's Monday starts at 05:00 UTC; the scheduled handler picks the task by its cron.
    const ctx = createExecutionContext();
    await runScheduled(
      createScheduledController({ scheduledTime: new Date("2025-01-20T06:00:00Z"), cron: "0 * * * *" }),
      edgeEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    rows = await weeklyOf(all);
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.userId === newYork)?.periodStart.toISOString()).toBe(
      "2025-01-13T05:00:00.000Z",
    );
    expect(rows.some((r) => r.userId === notOptedIn)).toBe(false);

    const mine = rows.find((r) => r.userId === utc);
    expect(mine).toMatchObject({ status: "done", generated: false });
    expect(mine?.citations.map((c) => c.entryId)).toEqual([cited]);
    const jobRows = await testDb().select().from(jobs).where(inArray(jobs.userId, all));
    expect(jobRows.filter((j) => j.kind === "reflection")).toHaveLength(3);
    expect(jobRows.every((j) => j.status === "done" && j.nodeId === null)).toBe(true);
  });
});

describe("reflections stay private", () => {
  it("another writer's reflection is not found and not listed", async () => {
    const owner = await registerUser();
    const other = await registerUser();
    const { reflectionId } = await requestReflection(owner, { period: "week" });
    const res = await call(`/v1/insights/reflections/${reflectionId}`, { token: other.accessToken });
    expect(res.status).toBe(404);
    const page = await getJson<{ items: Reflection[] }>("/v1/insights/reflections", other);
    expect(page.items).toEqual([]);
  });
});

describe("reflections in the account export", () => {
  it("GET /v1/me/export carries the writer's reflections", async () => {
    const user = await registerUser();
    const { reflectionId } = await requestReflection(user, { period: "week" });
    const res = await call("/v1/me/export?format=json", { token: user.accessToken });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const body = JSON.parse(text) as { reflections?: { id: string }[] };
    expect(body.reflections?.map((r) => r.id)).toEqual([reflectionId]);
  });
});
