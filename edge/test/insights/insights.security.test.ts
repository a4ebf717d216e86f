import type {
  EmotionInsights,
  MoodByTime,
  MoodInsights,
  MoodStability,
  MoodTopics,
  StreakInsights,
  TopicInsights,
  WordCounts,
  WritingInsights,
} from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { call, createKey, expectProblem, expectValidationPaths, registerUser } from "../harness.ts";
import { getJson, q, seedEntries, seedTopic } from "./helpers.ts";

const range = q({ from: "2025-01-01T00:00:00Z", to: "2025-02-01T00:00:00Z" });
const reads = [
  `/v1/insights/mood${range}`,
  `/v1/insights/emotions${range}`,
  "/v1/insights/writing",
  `/v1/insights/topics${range}`,
  "/v1/insights/growth?period=month&at=2025-01-15T00:00:00Z",
  `/v1/insights/mood/by-time${range}`,
  `/v1/insights/mood/topics${range}`,
  `/v1/insights/mood/stability${range}`,
  `/v1/insights/word-counts${range}`,
  "/v1/insights/streaks",
];

describe("insights security", () => {
  it("needs a token (401) on every route", async () => {
    for (const path of [
      ...reads,
      "/v1/insights/reflections",
      "/v1/insights/reflections/0190f5a0-0000-7000-8000-000000000000",
    ]) {
      await expectProblem(await call(path), 401, "UNAUTHENTICATED");
    }
    await expectProblem(
      await call("/v1/insights/reflections", { body: { period: "week" } }),
      401,
      "UNAUTHENTICATED",
    );
  });

  it("needs entries:read for insights, ai to ask for a reflection (403)", async () => {
    const user = await registerUser();
    const writeOnly = await createKey(user, ["entries:write"]);
    const readOnly = await createKey(user, ["entries:read"]);
    const aiOnly = await createKey(user, ["ai"]);
    for (const path of reads) {
      await expectProblem(await call(path, { token: writeOnly.key }), 403, "FORBIDDEN");
      expect((await call(path, { token: readOnly.key })).status).toBe(200);
    }
    await expectProblem(
      await call("/v1/insights/reflections", { token: readOnly.key, body: { period: "week" } }),
      403,
      "FORBIDDEN",
    );
    await expectProblem(await call("/v1/insights/reflections", { token: writeOnly.key }), 403, "FORBIDDEN");
    expect((await call("/v1/insights/reflections", { token: readOnly.key })).status).toBe(200);
    expect((await call("/v1/insights/reflections", { token: aiOnly.key })).status).toBe(200);
    const accepted = await call("/v1/insights/reflections", { token: aiOnly.key, body: { period: "month" } });
    expect(accepted.status).toBe(202);
  });

  it("one writer never sees another's numbers", async () => {
    const a = await registerUser();
    const b = await registerUser();
    const topic = await seedTopic(a.id, "Secret");
    await seedEntries(a.id, [
      {
        occurredAt: "2025-01-10T10:00:00Z",
        mood: 9,
        sentiment: 0.5,
        words: 42,
        topicIds: [topic],
        emotions: [{ label: "joy", score: 1 }],
      },
    ]);
    const mood = await getJson<MoodInsights>(`/v1/insights/mood${range}`, b);
    expect(mood.items.every((i) => i.entryCount === 0)).toBe(true);
    expect((await getJson<EmotionInsights>(`/v1/insights/emotions${range}`, b)).items).toEqual([]);
    expect((await getJson<WritingInsights>("/v1/insights/writing", b)).totalEntries).toBe(0);
    expect((await getJson<TopicInsights>(`/v1/insights/topics${range}`, b)).items).toEqual([]);
    const byTime = await getJson<MoodByTime>(`/v1/insights/mood/by-time${range}`, b);
    expect([...byTime.byWeekday, ...byTime.byHour].every((s) => s.entryCount === 0)).toBe(true);
    const moodTopics = await getJson<MoodTopics>(`/v1/insights/mood/topics${range}`, b);
    expect(moodTopics.items).toEqual([]);
    expect(moodTopics.overall.entryCount).toBe(0);
    const stability = await getJson<MoodStability>(`/v1/insights/mood/stability${range}`, b);
    expect(stability.overall.mood.days).toBe(0);
    expect((await getJson<WordCounts>(`/v1/insights/word-counts${range}`, b)).entryCount).toBe(0);
    const streaks = await getJson<StreakInsights>("/v1/insights/streaks?goodMood=8", b);
    expect([streaks.writing.best, streaks.mood.best]).toEqual([[], []]);
    // And A does see them, so the zeros above are tenancy, not a broken query.
    expect((await getJson<WritingInsights>("/v1/insights/writing", a)).totalWords).toBe(42);
    expect((await getJson<TopicInsights>(`/v1/insights/topics${range}`, a)).items).toHaveLength(1);
    expect((await getJson<MoodTopics>(`/v1/insights/mood/topics${range}`, a)).items).toHaveLength(1);
    expect((await getJson<MoodStability>(`/v1/insights/mood/stability${range}`, a)).overall.mood.mean).toBe(
      9,
    );
    expect((await getJson<WordCounts>(`/v1/insights/word-counts${range}`, a)).totalWords).toBe(42);
    const own = await getJson<StreakInsights>("/v1/insights/streaks?goodMood=8", a);
    expect(own.mood.best).toEqual([
      { start: "2025-01-10", end: "2025-01-10", days: 1, entries: 1, checkins: 0, avgMood: 9 },
    ]);
  });

  it("a reflection id that is not ours or not an id is 404", async () => {
    const user = await registerUser();
    for (const id of ["nope", "0190f5a0-0000-7000-8000-000000000000", "' or 1=1 --"]) {
      await expectProblem(
        await call(`/v1/insights/reflections/${encodeURIComponent(id)}`, { token: user.accessToken }),
        404,
        "NOT_FOUND",
      );
    }
  });
});

describe("insights validation (400)", () => {
  it("refuses bad ranges, buckets, periods and bodies", async () => {
    const user = await registerUser();
    const t = { token: user.accessToken };
    const paths = async (path: string, options = t) => await expectValidationPaths(await call(path, options));
    expect(
      await paths(`/v1/insights/mood${q({ from: "2025-02-01T00:00:00Z", to: "2025-01-01T00:00:00Z" })}`),
    ).toEqual(["from"]);
    expect(await paths(`/v1/insights/mood${q({ from: "yesterday" })}`)).toEqual(["from"]);
    expect(await paths(`/v1/insights/mood${q({ bucket: "year" })}`)).toEqual(["bucket"]);
    // Day buckets over more than three years; the same range in weeks is fine.
    const long = { from: "2020-01-01T00:00:00Z", to: "2024-01-01T00:00:00Z" };
    expect(await paths(`/v1/insights/mood${q({ ...long, bucket: "day" })}`)).toEqual(["from"]);
    expect((await call(`/v1/insights/mood${q({ ...long, bucket: "week" })}`, t)).status).toBe(200);
    expect(
      await paths(`/v1/insights/emotions${q({ from: "2000-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z" })}`),
    ).toEqual(["from"]);
    expect(await paths(`/v1/insights/topics${q({ limit: "0" })}`)).toEqual(["limit"]);
    expect(await paths(`/v1/insights/topics${q({ to: "not a date" })}`)).toEqual(["to"]);
    expect(await paths(`/v1/insights/growth${q({ period: "year" })}`)).toEqual(["period"]);
    expect(await paths(`/v1/insights/mood/by-time${q({ from: "yesterday" })}`)).toEqual(["from"]);
    expect(
      await paths(
        `/v1/insights/mood/by-time${q({ from: "2025-02-01T00:00:00Z", to: "2025-01-01T00:00:00Z" })}`,
      ),
    ).toEqual(["from"]);
    expect(await paths(`/v1/insights/mood/topics${q({ limit: "51" })}`)).toEqual(["limit"]);
    expect(await paths(`/v1/insights/mood/topics${q({ limit: "two" })}`)).toEqual(["limit"]);
    expect(await paths(`/v1/insights/mood/stability${q({ bucket: "day" })}`)).toEqual(["bucket"]);
    expect(
      await paths(
        `/v1/insights/mood/stability${q({ from: "2000-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z" })}`,
      ),
    ).toEqual(["from"]);
    expect(await paths(`/v1/insights/word-counts${q({ to: "not a date" })}`)).toEqual(["to"]);
    expect(await paths(`/v1/insights/streaks${q({ limit: "0" })}`)).toEqual(["limit"]);
    expect(await paths(`/v1/insights/streaks${q({ goodMood: "11" })}`)).toEqual(["goodMood"]);
    expect(await paths(`/v1/insights/streaks${q({ lowMood: "2.5" })}`)).toEqual(["lowMood"]);
    expect(await paths(`/v1/insights/streaks${q({ lowMood: "7", goodMood: "7" })}`)).toEqual(["lowMood"]);
    expect(await paths("/v1/insights/reflections?period=day")).toEqual(["period"]);
    expect(await paths("/v1/insights/reflections?cursor=forged")).toEqual(["cursor"]);
    const post = (body: unknown) => ({ ...t, body });
    expect(await paths("/v1/insights/reflections", post({ period: "year" }))).toEqual(["period"]);
    expect(await paths("/v1/insights/reflections", post({}))).toEqual(["period"]);
    expect(await paths("/v1/insights/reflections", post({ period: "week", extra: 1 }))).toEqual(["(root)"]);
    expect(
      await paths("/v1/insights/reflections", post({ period: "week", at: "2999-01-01T00:00:00Z" })),
    ).toEqual(["at"]);
  });
});
