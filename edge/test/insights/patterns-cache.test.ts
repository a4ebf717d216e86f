import { SELF } from "cloudflare:test";
import type { MoodByTime, MoodStability, MoodTopics, StreakInsights, WordCounts } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { createInkwellClient } from "../../src/client.ts";
import { BASE_URL, call, randomIp, registerUser } from "../harness.ts";
import { getJson, q, seedEntries } from "./helpers.ts";

const january = q({ from: "2025-01-01T00:00:00-05:00", to: "2025-02-01T00:00:00-05:00" });

async function send(path: string, token: string, method: string, body?: unknown): Promise<unknown> {
  const res = await call(path, { method, token, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  expect(res.status, text).toBeLessThan(300);
  return text ? JSON.parse(text) : null;
}

describe("mood and writing patterns are cached until the journal changes", () => {
  it("read → write outside the API (not seen: cached) → edit through the API → fresh figures", async () => {
    const user = await registerUser({ timezone: "America/New_York" });
    const t = user.accessToken;
    const entry = (await send("/v1/entries", t, "POST", {
      content: "one two three",
      mood: 3,
      occurredAt: "2025-01-06T15:00:00Z", // Monday 10:00 local
    })) as { id: string };

    const read = async () => ({
      byTime: await getJson<MoodByTime>(`/v1/insights/mood/by-time${january}`, user),
      topics: await getJson<MoodTopics>(`/v1/insights/mood/topics${january}`, user),
      stability: await getJson<MoodStability>(`/v1/insights/mood/stability${january}`, user),
      words: await getJson<WordCounts>(`/v1/insights/word-counts${january}`, user),
      streaks: await getJson<StreakInsights>("/v1/insights/streaks", user),
    });
    const first = await read();
    expect(first.byTime.byWeekday[0]).toMatchObject({ name: "monday", entryCount: 1, avgMood: 3 });
    expect(first.byTime.byHour[10]?.avgMood).toBe(3);
    expect(first.topics.overall.avgMood).toBe(3);
    expect(first.stability.overall.mood.mean).toBe(3);
    expect(first.words).toMatchObject({ entryCount: 1, min: 3, max: 3 });
    expect(first.streaks.mood.worst.map((s) => s.start)).toEqual(["2025-01-06"]);
    expect(first.streaks.mood.best).toEqual([]);

    // Rows written behind the API's back do not bump the version: the cached answers stay.
    await seedEntries(user.id, [{ occurredAt: "2025-01-07T15:00:00Z", mood: 10, words: 100 }]);
    expect(await read()).toEqual(first);

    // An edit through the API invalidates every one of them (and now shows the seeded row too).
    await send(`/v1/entries/${entry.id}`, t, "PATCH", { mood: 9, content: "one two three four five" });
    const edited = await read();
    expect(edited.byTime.byWeekday[0]).toMatchObject({ name: "monday", entryCount: 1, avgMood: 9 });
    expect(edited.byTime.byWeekday[1]).toMatchObject({ name: "tuesday", entryCount: 1, avgMood: 10 });
    expect(edited.topics.overall).toMatchObject({ entryCount: 2, avgMood: 9.5 });
    expect(edited.stability.overall.mood).toMatchObject({ days: 2, mean: 9.5, pairs: 1, rmssd: 1 });
    expect(edited.words).toMatchObject({ entryCount: 2, min: 5, max: 100 });
    expect(edited.streaks.mood.best).toEqual([
      { start: "2025-01-06", end: "2025-01-07", days: 2, entries: 2, checkins: 0, avgMood: 9.5 },
    ]);
    expect(edited.streaks.mood.worst).toEqual([]);

    // So does a delete.
    await send(`/v1/entries/${entry.id}`, t, "DELETE");
    const deleted = await read();
    expect(deleted.byTime.byWeekday[0]?.entryCount).toBe(0);
    expect(deleted.words.entryCount).toBe(1);
    expect(deleted.streaks.writing.best).toEqual([
      { start: "2025-01-07", end: "2025-01-07", days: 1, entries: 1 },
    ]);
  });

  it("answers If-None-Match with 304 until an edit changes the figures", async () => {
    const user = await registerUser();
    await seedEntries(user.id, [{ occurredAt: "2025-01-06T15:00:00Z", mood: 5, words: 40 }]);
    const path = "/v1/insights/streaks";
    const res = await call(path, { token: user.accessToken });
    const etag = res.headers.get("ETag") ?? "";
    expect(res.status).toBe(200);
    expect(etag).not.toBe("");
    const again = await call(path, { token: user.accessToken, headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    await send("/v1/entries", user.accessToken, "POST", {
      content: "a good day",
      mood: 9,
      occurredAt: "2025-01-07T15:00:00Z",
    });
    const changed = await call(path, { token: user.accessToken, headers: { "If-None-Match": etag } });
    expect(changed.status).toBe(200);
  });
});

describe("the typed client reads the pattern insights", () => {
  it("every new route, with its query options and response types", async () => {
    const user = await registerUser({ timezone: "Asia/Kolkata" });
    await seedEntries(user.id, [{ occurredAt: "2025-01-05T20:00:00Z", mood: 8, sentiment: 0.5, words: 60 }]);
    const ip = randomIp();
    const api = createInkwellClient(BASE_URL, {
      token: user.accessToken,
      fetch: (input, init) => {
        const request = new Request(input, init);
        request.headers.set("CF-Connecting-IP", ip);
        return SELF.fetch(request);
      },
    });
    const range = { from: "2025-01-01T00:00:00+05:30", to: "2025-02-01T00:00:00+05:30" };

    const byTime = await api.v1.insights.mood["by-time"].$get({ query: range });
    if (byTime.status !== 200) throw new Error(`status ${byTime.status}`);
    expect((await byTime.json()).byWeekday[0]?.avgMood).toBe(8);

    const topics = await api.v1.insights.mood.topics.$get({ query: { ...range, limit: "5" } });
    if (topics.status !== 200) throw new Error(`status ${topics.status}`);
    expect((await topics.json()).overall.avgSentiment).toBe(0.5);

    const stability = await api.v1.insights.mood.stability.$get({ query: { ...range, bucket: "month" } });
    if (stability.status !== 200) throw new Error(`status ${stability.status}`);
    expect((await stability.json()).items.map((i) => i.localDate)).toEqual(["2025-01-01"]);

    const words = await api.v1.insights["word-counts"].$get({ query: range });
    if (words.status !== 200) throw new Error(`status ${words.status}`);
    expect((await words.json()).bins[1]).toEqual({ min: 50, max: 100, count: 1, share: 1 });

    const streaks = await api.v1.insights.streaks.$get({ query: { goodMood: "8" } });
    if (streaks.status !== 200) throw new Error(`status ${streaks.status}`);
    expect((await streaks.json()).mood.best[0]?.start).toBe("2025-01-06");

    const refused = await api.v1.insights.streaks.$get({ query: { lowMood: "9", goodMood: "8" } });
    expect(refused.status).toBe(400);
  });
});

describe("the OpenAPI document", () => {
  it("declares every pattern route with its query options, answer schema and problems", async () => {
    interface Operation {
      parameters?: { name: string; in: string }[];
      responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
      security?: unknown[];
    }
    const doc = await (await call("/openapi.json")).json<{ paths: Record<string, { get?: Operation }> }>();
    const expected: Record<string, string[]> = {
      "/v1/insights/mood/by-time": ["from", "to"],
      "/v1/insights/mood/topics": ["from", "to", "limit"],
      "/v1/insights/mood/stability": ["from", "to", "bucket"],
      "/v1/insights/word-counts": ["from", "to"],
      "/v1/insights/streaks": ["limit", "goodMood", "lowMood"],
    };
    for (const [path, params] of Object.entries(expected)) {
      const op = doc.paths[path]?.get;
      expect(op, path).toBeDefined();
      const query = (op?.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
      expect(query.sort(), path).toEqual([...params].sort());
      expect(op?.responses["200"]?.content?.["application/json"]?.schema, path).toBeDefined();
      expect(op?.responses["400"]?.content?.["application/problem+json"], path).toBeDefined();
      expect(op?.security, path).toEqual([{ bearer: [] }]);
    }
  });
});
