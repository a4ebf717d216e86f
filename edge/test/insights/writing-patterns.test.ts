import type { StreakInsights, WordCounts } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { call, registerUser } from "../harness.ts";
import { getJson, q, seedEntries } from "./helpers.ts";

describe("GET /v1/insights/word-counts", () => {
  it("percentiles, extremes and fixed bins of the range's entries", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    await seedEntries(user.id, [
      ...[10, 49, 50, 120, 300, 300, 800, 2500].map((words, i) => ({
        occurredAt: `2025-01-${String(10 + i).padStart(2, "0")}T10:00:00Z`,
        words,
      })),
      { occurredAt: "2025-01-20T10:00:00Z", words: 5000, deleted: true },
      { occurredAt: "2025-02-20T10:00:00Z", words: 7 }, // after the range
    ]);
    const body = await getJson<WordCounts>(
      `/v1/insights/word-counts${q({ from: "2025-01-01T00:00:00+01:00", to: "2025-02-01T00:00:00+01:00" })}`,
      user,
    );
    expect(body).toEqual({
      from: "2024-12-31T23:00:00.000Z",
      to: "2025-01-31T23:00:00.000Z",
      timezone: "Europe/Berlin",
      entryCount: 8,
      totalWords: 4129,
      mean: 516.125,
      // Linear interpolation over 10, 49, 50, 120, 300, 300, 800, 2500.
      p25: 49.75,
      median: 210,
      p75: 425,
      p90: 1310,
      min: 10,
      max: 2500,
      bins: [
        { min: 0, max: 50, count: 2, share: 0.25 },
        { min: 50, max: 100, count: 1, share: 0.125 },
        { min: 100, max: 250, count: 1, share: 0.125 },
        { min: 250, max: 500, count: 2, share: 0.25 },
        { min: 500, max: 1000, count: 1, share: 0.125 },
        { min: 1000, max: 2000, count: 0, share: 0 },
        { min: 2000, max: null, count: 1, share: 0.125 },
      ],
    });
  });

  it("an empty range has nulls and empty bins", async () => {
    const user = await registerUser();
    const body = await getJson<WordCounts>("/v1/insights/word-counts", user);
    expect(body).toMatchObject({
      entryCount: 0,
      totalWords: 0,
      mean: null,
      p25: null,
      median: null,
      p75: null,
      p90: null,
      min: null,
      max: null,
    });
    expect(body.bins.map((b) => [b.min, b.count, b.share])).toEqual([
      [0, 0, 0],
      [50, 0, 0],
      [100, 0, 0],
      [250, 0, 0],
      [500, 0, 0],
      [1000, 0, 0],
      [2000, 0, 0],
    ]);
  });
});

/*
 * Europe/Berlin in March 2025 (UTC+1 until the 30th). Local days and their mean mood:
 *   1st 8, 2nd 7 (9 at 00:30 local, still the 1st in UTC, and 5), 3rd 7, 4th no mood, 5th 8, 6th 2, 7th 3,
 *   (8th, 9th: nothing; the 9th's entry is deleted), 10th 4, 11th 1 (23:30 local), 12th 6,
 *   (13th to 17th: nothing), 18th 8, 19th 2.
 */
const march = [
  { occurredAt: "2025-03-01T11:00:00Z", mood: 8 },
  { occurredAt: "2025-03-01T23:30:00Z", mood: 9 },
  { occurredAt: "2025-03-02T19:00:00Z", mood: 5 },
  { occurredAt: "2025-03-03T11:00:00Z", mood: 7 },
  { occurredAt: "2025-03-04T11:00:00Z" },
  { occurredAt: "2025-03-05T11:00:00Z", mood: 8 },
  { occurredAt: "2025-03-06T11:00:00Z", mood: 2 },
  { occurredAt: "2025-03-07T11:00:00Z", mood: 3 },
  { occurredAt: "2025-03-09T11:00:00Z", mood: 9, deleted: true },
  { occurredAt: "2025-03-10T11:00:00Z", mood: 4 },
  { occurredAt: "2025-03-11T22:30:00Z", mood: 1 },
  { occurredAt: "2025-03-12T11:00:00Z", mood: 6 },
  { occurredAt: "2025-03-18T11:00:00Z", mood: 8 },
  { occurredAt: "2025-03-19T11:00:00Z", mood: 2 },
];

describe("GET /v1/insights/streaks", () => {
  it("best and worst runs of writing and of mood, in local days", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    await seedEntries(user.id, march);
    const body = await getJson<StreakInsights>("/v1/insights/streaks", user);
    expect(body).toEqual({
      timezone: "Europe/Berlin",
      goodMood: 7,
      lowMood: 4,
      writing: {
        best: [
          { start: "2025-03-01", end: "2025-03-07", days: 7, entries: 8 },
          { start: "2025-03-10", end: "2025-03-12", days: 3, entries: 3 },
          { start: "2025-03-18", end: "2025-03-19", days: 2, entries: 2 },
        ],
        gaps: [
          { start: "2025-03-13", end: "2025-03-17", days: 5 },
          { start: "2025-03-08", end: "2025-03-09", days: 2 },
        ],
      },
      mood: {
        // The 4th has an entry but no mood: it ends the run of the 1st to the 3rd.
        best: [
          { start: "2025-03-01", end: "2025-03-03", days: 3, entries: 4, checkins: 0, avgMood: 7.25 },
          { start: "2025-03-18", end: "2025-03-18", days: 1, entries: 1, checkins: 0, avgMood: 8 },
          { start: "2025-03-05", end: "2025-03-05", days: 1, entries: 1, checkins: 0, avgMood: 8 },
        ],
        // Two runs of two days: the more recent first.
        worst: [
          { start: "2025-03-10", end: "2025-03-11", days: 2, entries: 2, checkins: 0, avgMood: 2.5 },
          { start: "2025-03-06", end: "2025-03-07", days: 2, entries: 2, checkins: 0, avgMood: 2.5 },
          { start: "2025-03-19", end: "2025-03-19", days: 1, entries: 1, checkins: 0, avgMood: 2 },
        ],
      },
    });
  });

  it("thresholds and limit are the caller's", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    await seedEntries(user.id, march);
    const body = await getJson<StreakInsights>(
      `/v1/insights/streaks${q({ goodMood: "8", lowMood: "2", limit: "1" })}`,
      user,
    );
    expect(body).toMatchObject({
      goodMood: 8,
      lowMood: 2,
      writing: {
        best: [{ start: "2025-03-01", end: "2025-03-07", days: 7, entries: 8 }],
        gaps: [{ start: "2025-03-13", end: "2025-03-17", days: 5 }],
      },
      mood: {
        best: [{ start: "2025-03-18", end: "2025-03-18", days: 1, entries: 1, checkins: 0, avgMood: 8 }],
        worst: [{ start: "2025-03-19", end: "2025-03-19", days: 1, entries: 1, checkins: 0, avgMood: 2 }],
      },
    });
  });

  it("the same instants make other streaks for a writer in UTC", async () => {
    const user = await registerUser({ timezone: "UTC" });
    await seedEntries(user.id, march);
    const body = await getJson<StreakInsights>("/v1/insights/streaks", user);
    // In UTC the 1st holds 8 and 9 (8.5) and the 2nd only 5: the three good days no longer touch.
    expect(body.mood.best.map((s) => [s.start, s.days, s.avgMood])).toEqual([
      ["2025-03-18", 1, 8],
      ["2025-03-05", 1, 8],
      ["2025-03-03", 1, 7],
    ]);
    // And the 23:30 entry of the 11th is on the 11th in UTC too (22:30Z), so the low run stays.
    expect(body.mood.worst[0]).toMatchObject({ start: "2025-03-10", end: "2025-03-11" });
  });

  it("mood check-ins join mood streaks, and never writing streaks", async () => {
    const [user, other] = await Promise.all([
      registerUser({ timezone: "Europe/Berlin" }),
      registerUser({ timezone: "Europe/Berlin" }),
    ]);
    await seedEntries(user.id, march);
    const checkIn = async (token: string, mood: number, at: string) => {
      const res = await call("/v1/mood-checkins", { token, body: { mood, at } });
      expect(res.status, await res.text()).toBe(201);
    };
    // The 4th had an entry without a mood, which broke the good run; a check-in of 8 gives it one.
    await checkIn(user.accessToken, 8, "2025-03-04T17:00:00Z");
    // The 8th had no entry at all: a low check-in there joins the low days around it, but no writing run.
    await checkIn(user.accessToken, 1, "2025-03-08T12:00:00Z");
    // Another writer's check-ins count for them alone.
    await checkIn(other.accessToken, 10, "2025-03-06T12:00:00Z");
    await checkIn(other.accessToken, 10, "2025-03-09T12:00:00Z");
    const body = await getJson<StreakInsights>("/v1/insights/streaks", user);
    expect(body.writing).toEqual({
      best: [
        { start: "2025-03-01", end: "2025-03-07", days: 7, entries: 8 },
        { start: "2025-03-10", end: "2025-03-12", days: 3, entries: 3 },
        { start: "2025-03-18", end: "2025-03-19", days: 2, entries: 2 },
      ],
      gaps: [
        { start: "2025-03-13", end: "2025-03-17", days: 5 },
        { start: "2025-03-08", end: "2025-03-09", days: 2 },
      ],
    });
    // Moods 8, (9+5), 7, 8 (the check-in), 8 over the 1st to the 5th: 45 / 6 ratings.
    expect(body.mood.best[0]).toEqual({
      start: "2025-03-01",
      end: "2025-03-05",
      days: 5,
      entries: 6,
      checkins: 1,
      avgMood: 7.5,
    });
    // 2, 3 and the check-in's 1 on the 6th to the 8th; the 9th (only a deleted entry) ends it.
    expect(body.mood.worst[0]).toEqual({
      start: "2025-03-06",
      end: "2025-03-08",
      days: 3,
      entries: 2,
      checkins: 1,
      avgMood: 2,
    });
    const theirs = await getJson<StreakInsights>("/v1/insights/streaks", other);
    expect(theirs.writing).toEqual({ best: [], gaps: [] });
    expect(theirs.mood.best.map((s) => [s.start, s.days, s.entries, s.checkins])).toEqual([
      ["2025-03-09", 1, 0, 1],
      ["2025-03-06", 1, 0, 1],
    ]);
  });

  it("a new writer has no streaks at all", async () => {
    const user = await registerUser();
    const body = await getJson<StreakInsights>("/v1/insights/streaks", user);
    expect(body).toEqual({
      timezone: "UTC",
      goodMood: 7,
      lowMood: 4,
      writing: { best: [], gaps: [] },
      mood: { best: [], worst: [] },
    });
  });
});
