import type { MoodByTime, MoodStability, MoodTopics } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { registerUser } from "../harness.ts";
import { getJson, q, seedEntries, seedTopic } from "./helpers.ts";

/*
 * Asia/Kolkata is UTC+05:30 all year, so the half hour shows whether local hours come from the zone
 * and not from UTC; two entries of UTC's Saturday and Sunday are a local Sunday and Monday.
 */
const kolkata = [
  { occurredAt: "2025-01-05T20:00:00Z", mood: 8, sentiment: 0.5 }, // Mon 6th 01:30 (UTC: Sunday)
  { occurredAt: "2025-01-06T03:30:00Z", mood: 6, sentiment: -0.5 }, // Mon 6th 09:00
  { occurredAt: "2025-01-08T16:00:00Z", mood: 3 }, // Wed 8th 21:30, analysis pending
  { occurredAt: "2025-01-11T18:45:00Z", sentiment: 0.25 }, // Sun 12th 00:15 (UTC: Saturday), no mood
  { occurredAt: "2025-01-12T15:30:00Z", mood: 2, sentiment: -1 }, // Sun 12th 21:00
  { occurredAt: "2025-01-07T04:00:00Z", mood: 10, sentiment: 1, deleted: true }, // deleted: never counts
  { occurredAt: "2025-02-10T04:00:00Z", mood: 1, sentiment: -1 }, // after the range
];
const january = q({ from: "2025-01-01T00:00:00+05:30", to: "2025-02-01T00:00:00+05:30" });
const empty = { entryCount: 0, moodCount: 0, avgMood: null, analyzedCount: 0, avgSentiment: null };

describe("GET /v1/insights/mood/by-time", () => {
  it("buckets mood by local weekday and local hour", async () => {
    const user = await registerUser({ timezone: "Asia/Kolkata" });
    await seedEntries(user.id, kolkata);
    const body = await getJson<MoodByTime>(`/v1/insights/mood/by-time${january}`, user);
    expect(body).toMatchObject({
      from: "2024-12-31T18:30:00.000Z",
      to: "2025-01-31T18:30:00.000Z",
      timezone: "Asia/Kolkata",
    });
    expect(body.byWeekday).toEqual([
      {
        weekday: 1,
        name: "monday",
        entryCount: 2,
        moodCount: 2,
        avgMood: 7,
        analyzedCount: 2,
        avgSentiment: 0,
      },
      { weekday: 2, name: "tuesday", ...empty },
      {
        weekday: 3,
        name: "wednesday",
        entryCount: 1,
        moodCount: 1,
        avgMood: 3,
        analyzedCount: 0,
        avgSentiment: null,
      },
      { weekday: 4, name: "thursday", ...empty },
      { weekday: 5, name: "friday", ...empty },
      { weekday: 6, name: "saturday", ...empty },
      {
        weekday: 7,
        name: "sunday",
        entryCount: 2,
        moodCount: 1,
        avgMood: 2,
        analyzedCount: 2,
        avgSentiment: -0.375,
      },
    ]);
    expect(body.byHour).toHaveLength(24);
    expect(body.byHour.map((h) => h.hour)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    const busy = body.byHour.filter((h) => h.entryCount > 0);
    expect(busy).toEqual([
      { hour: 0, entryCount: 1, moodCount: 0, avgMood: null, analyzedCount: 1, avgSentiment: 0.25 },
      { hour: 1, entryCount: 1, moodCount: 1, avgMood: 8, analyzedCount: 1, avgSentiment: 0.5 },
      { hour: 9, entryCount: 1, moodCount: 1, avgMood: 6, analyzedCount: 1, avgSentiment: -0.5 },
      { hour: 21, entryCount: 2, moodCount: 2, avgMood: 2.5, analyzedCount: 1, avgSentiment: -1 },
    ]);
  });

  it("the same instants land on other weekdays and hours for a writer in UTC", async () => {
    const user = await registerUser({ timezone: "UTC" });
    await seedEntries(user.id, kolkata);
    const body = await getJson<MoodByTime>(`/v1/insights/mood/by-time${january}`, user);
    expect(body.byWeekday.map((d) => [d.name, d.entryCount])).toEqual([
      ["monday", 1],
      ["tuesday", 0],
      ["wednesday", 1],
      ["thursday", 0],
      ["friday", 0],
      ["saturday", 1],
      ["sunday", 2],
    ]);
    expect(body.byHour.filter((h) => h.entryCount > 0).map((h) => [h.hour, h.entryCount])).toEqual([
      [3, 1],
      [15, 1],
      [16, 1],
      [18, 1],
      [20, 1],
    ]);
  });
});

describe("GET /v1/insights/mood/topics", () => {
  it("mood and sentiment per topic, and how far each lies from the range's whole", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    const work = await seedTopic(user.id, "Work");
    const family = await seedTopic(user.id, "Family");
    await seedTopic(user.id, "Quiet"); // no entries: not listed
    await seedEntries(user.id, [
      { occurredAt: "2025-01-10T10:00:00Z", mood: 8, sentiment: 0.5, topicIds: [work, family] },
      { occurredAt: "2025-01-11T10:00:00Z", mood: 2, sentiment: -0.5, topicIds: [work] },
      { occurredAt: "2025-01-12T10:00:00Z", mood: 6, topicIds: [family] },
      { occurredAt: "2025-01-13T10:00:00Z", sentiment: 0.25 }, // no topic: only in overall
      { occurredAt: "2025-01-14T10:00:00Z", mood: 1, sentiment: -1, topicIds: [work], deleted: true },
      { occurredAt: "2024-12-01T10:00:00Z", mood: 1, sentiment: -1, topicIds: [work] }, // before the range
    ]);
    const range = { from: "2025-01-01T00:00:00+01:00", to: "2025-02-01T00:00:00+01:00" };
    const body = await getJson<MoodTopics>(`/v1/insights/mood/topics${q(range)}`, user);
    expect(body.overall).toEqual({
      entryCount: 4,
      moodCount: 3,
      avgMood: 5.3333,
      analyzedCount: 3,
      avgSentiment: 0.0833,
    });
    // Two entries each: a tie, broken by name.
    expect(body.items).toEqual([
      {
        id: family,
        name: "Family",
        kind: "user",
        color: null,
        entryCount: 2,
        moodCount: 2,
        avgMood: 7,
        analyzedCount: 1,
        avgSentiment: 0.5,
        moodDelta: 1.6667,
        sentimentDelta: 0.4167,
      },
      {
        id: work,
        name: "Work",
        kind: "user",
        color: null,
        entryCount: 2,
        moodCount: 2,
        avgMood: 5,
        analyzedCount: 2,
        avgSentiment: 0,
        moodDelta: -0.3333,
        sentimentDelta: -0.0833,
      },
    ]);
    const one = await getJson<MoodTopics>(`/v1/insights/mood/topics${q({ ...range, limit: "1" })}`, user);
    expect(one.items.map((t) => t.name)).toEqual(["Family"]);
    expect(one.overall.entryCount).toBe(4);
  });

  it("a quiet range has no topics and null means", async () => {
    const user = await registerUser();
    const body = await getJson<MoodTopics>(
      `/v1/insights/mood/topics${q({ from: "2025-01-01T00:00:00Z", to: "2025-01-02T00:00:00Z" })}`,
      user,
    );
    expect(body.items).toEqual([]);
    expect(body.overall).toEqual(empty);
  });
});

/*
 * America/New_York in January (UTC-5). Local days and their mean mood / sentiment:
 *   week of Mon 6th:  Mon 5 (two entries, one at 22:00 local = Tuesday UTC) / 0.2, Tue 7 / -0.2,
 *                     Thu 3 / 0.6, Sun 12th 5 (at 23:30 local = Monday UTC) / none
 *   week of Mon 13th: Mon 8 / 0.5, Tue 6 / 0.5, Wed 8 / 0.5
 */
const newYork = [
  { occurredAt: "2025-01-06T14:00:00Z", mood: 4, sentiment: 0.2 },
  { occurredAt: "2025-01-07T03:00:00Z", mood: 6 },
  { occurredAt: "2025-01-07T15:00:00Z", mood: 7, sentiment: -0.2 },
  { occurredAt: "2025-01-09T15:00:00Z", mood: 3, sentiment: 0.6 },
  { occurredAt: "2025-01-13T04:30:00Z", mood: 5 },
  { occurredAt: "2025-01-13T15:00:00Z", mood: 8, sentiment: 0.5 },
  { occurredAt: "2025-01-14T15:00:00Z", mood: 6, sentiment: 0.5 },
  { occurredAt: "2025-01-15T15:00:00Z", mood: 8, sentiment: 0.5 },
  { occurredAt: "2025-01-08T15:00:00Z", mood: 1, sentiment: -1, deleted: true }, // would bridge Tue and Thu
];
const twoWeeks = { from: "2025-01-06T00:00:00-05:00", to: "2025-01-20T00:00:00-05:00" };

describe("GET /v1/insights/mood/stability", () => {
  it("spread and day-to-day swings of daily means, per local week and overall", async () => {
    const user = await registerUser({ timezone: "America/New_York" });
    await seedEntries(user.id, newYork);
    const body = await getJson<MoodStability>(`/v1/insights/mood/stability${q(twoWeeks)}`, user);
    expect(body).toMatchObject({ timezone: "America/New_York", bucket: "week" });
    expect(body.overall).toEqual({
      // Daily 5, 7, 3, 5, 8, 6, 8: steps between consecutive days 6→7 (+2), 12→13 (+3), 13→14 (-2), 14→15 (+2).
      mood: { days: 7, mean: 6, sd: 1.8257, rmssd: 2.2913, pairs: 4, min: 3, max: 8 },
      // Daily 0.2, -0.2, 0.6, 0.5, 0.5, 0.5: Sunday the 12th has none, so 12→13 is no pair.
      sentiment: { days: 6, mean: 0.35, sd: 0.3017, rmssd: 0.2309, pairs: 3, min: -0.2, max: 0.6 },
    });
    expect(body.items).toEqual([
      {
        bucketStart: "2025-01-06T05:00:00.000Z",
        localDate: "2025-01-06",
        // Only Mon→Tue is a pair inside the week; Sun 12th→Mon 13th crosses into the next one.
        mood: { days: 4, mean: 5, sd: 1.633, rmssd: 2, pairs: 1, min: 3, max: 7 },
        sentiment: { days: 3, mean: 0.2, sd: 0.4, rmssd: 0.4, pairs: 1, min: -0.2, max: 0.6 },
      },
      {
        bucketStart: "2025-01-13T05:00:00.000Z",
        localDate: "2025-01-13",
        mood: { days: 3, mean: 7.3333, sd: 1.1547, rmssd: 2, pairs: 2, min: 6, max: 8 },
        sentiment: { days: 3, mean: 0.5, sd: 0, rmssd: 0, pairs: 2, min: 0.5, max: 0.5 },
      },
    ]);
  });

  it("month windows hold every pair of the month; quiet windows are listed empty", async () => {
    const user = await registerUser({ timezone: "America/New_York" });
    await seedEntries(user.id, newYork);
    const body = await getJson<MoodStability>(
      `/v1/insights/mood/stability${q({ from: "2025-01-01T00:00:00-05:00", to: "2025-03-01T00:00:00-05:00", bucket: "month" })}`,
      user,
    );
    expect(body.bucket).toBe("month");
    expect(
      body.items.map((i) => [i.localDate, i.bucketStart, i.mood.days, i.mood.pairs, i.mood.rmssd]),
    ).toEqual([
      ["2025-01-01", "2025-01-01T05:00:00.000Z", 7, 4, 2.2913],
      ["2025-02-01", "2025-02-01T05:00:00.000Z", 0, 0, null],
    ]);
    expect(body.items[1]?.sentiment).toEqual({
      days: 0,
      mean: null,
      sd: null,
      rmssd: null,
      pairs: 0,
      min: null,
      max: null,
    });
  });

  it("one day has a mean but no spread", async () => {
    const user = await registerUser();
    await seedEntries(user.id, [
      { occurredAt: "2025-01-06T10:00:00Z", mood: 4, sentiment: 0.5 },
      { occurredAt: "2025-01-06T20:00:00Z", mood: 8, sentiment: -0.5 },
    ]);
    const body = await getJson<MoodStability>(
      `/v1/insights/mood/stability${q({ from: "2025-01-06T00:00:00Z", to: "2025-01-13T00:00:00Z" })}`,
      user,
    );
    expect(body.overall.mood).toEqual({ days: 1, mean: 6, sd: null, rmssd: null, pairs: 0, min: 6, max: 6 });
    expect(body.items).toHaveLength(1);
  });
});
