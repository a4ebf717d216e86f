import type { MoodInsights } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { call, registerUser } from "../harness.ts";
import { getJson, q, seedEntries } from "./helpers.ts";

/*
 * Europe/Berlin around the 2025 change to summer time (Sunday 30 March, 02:00 → 03:00): local
 * midnight is 23:00Z up to the 30th and 22:00Z from the 31st.
 */
const berlinWeek = [
  { occurredAt: "2025-03-28T22:30:00Z", mood: 4, sentiment: 0.5 }, // Fri 28th, 23:30 local
  { occurredAt: "2025-03-28T23:30:00Z", mood: 8, sentiment: -0.5 }, // Sat 29th, 00:30 local (UTC still the 28th)
  { occurredAt: "2025-03-29T10:00:00Z", mood: 6 }, // Sat 29th, analysis pending
  { occurredAt: "2025-03-30T21:30:00Z", sentiment: 0.25 }, // Sun 30th, 23:30 local (summer time)
  { occurredAt: "2025-03-30T12:00:00Z", mood: 10, sentiment: 1, deleted: true }, // deleted: never counts
  { occurredAt: "2025-03-31T10:00:00Z", mood: 2, analysis: "failed" as const }, // Mon 31st
];

describe("GET /v1/insights/mood", () => {
  it("buckets by local day across a DST change, with zero-filled quiet days", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    await seedEntries(user.id, berlinWeek);
    const body = await getJson<MoodInsights>(
      `/v1/insights/mood${q({ from: "2025-03-28T00:00:00+01:00", to: "2025-04-01T00:00:00+02:00", bucket: "day" })}`,
      user,
    );
    expect(body).toMatchObject({
      from: "2025-03-27T23:00:00.000Z",
      to: "2025-03-31T22:00:00.000Z",
      timezone: "Europe/Berlin",
      bucket: "day",
    });
    expect(body.items).toEqual([
      {
        bucketStart: "2025-03-27T23:00:00.000Z",
        localDate: "2025-03-28",
        entryCount: 1,
        avgMood: 4,
        avgSentiment: 0.5,
        moodCount: 1,
        analyzedCount: 1,
      },
      {
        bucketStart: "2025-03-28T23:00:00.000Z",
        localDate: "2025-03-29",
        entryCount: 2,
        avgMood: 7,
        avgSentiment: -0.5,
        moodCount: 2,
        analyzedCount: 1,
      },
      {
        bucketStart: "2025-03-29T23:00:00.000Z",
        localDate: "2025-03-30",
        entryCount: 1,
        avgMood: null,
        avgSentiment: 0.25,
        moodCount: 0,
        analyzedCount: 1,
      },
      {
        bucketStart: "2025-03-30T22:00:00.000Z",
        localDate: "2025-03-31",
        entryCount: 1,
        avgMood: 2,
        avgSentiment: null,
        moodCount: 1,
        analyzedCount: 0,
      },
    ]);
  });

  it("buckets by ISO week, Monday at local midnight", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    await seedEntries(user.id, berlinWeek);
    const body = await getJson<MoodInsights>(
      `/v1/insights/mood${q({ from: "2025-03-24T00:00:00+01:00", to: "2025-04-07T00:00:00+02:00", bucket: "week" })}`,
      user,
    );
    expect(body.items).toEqual([
      {
        bucketStart: "2025-03-23T23:00:00.000Z",
        localDate: "2025-03-24",
        entryCount: 4,
        avgMood: 6,
        // (0.5 - 0.5 + 0.25) / 3
        avgSentiment: 0.0833,
        moodCount: 3,
        analyzedCount: 3,
      },
      {
        bucketStart: "2025-03-30T22:00:00.000Z",
        localDate: "2025-03-31",
        entryCount: 1,
        avgMood: 2,
        avgSentiment: null,
        moodCount: 1,
        analyzedCount: 0,
      },
    ]);
  });

  it("puts an entry at 23:30 local on that local day, though UTC is already on the next", async () => {
    const ny = await registerUser({ timezone: "America/New_York" });
    const utc = await registerUser({ timezone: "UTC" });
    const fixtures = [
      { occurredAt: "2025-03-09T04:30:00Z", mood: 3 }, // Sat 8th 23:30 EST
      { occurredAt: "2025-03-10T03:30:00Z", mood: 5 }, // Sun 9th 23:30 EDT (after the US change)
    ];
    await seedEntries(ny.id, fixtures);
    await seedEntries(utc.id, fixtures);
    const range = { from: "2025-03-08T00:00:00-05:00", to: "2025-03-11T00:00:00-04:00", bucket: "day" };
    const local = await getJson<MoodInsights>(`/v1/insights/mood${q(range)}`, ny);
    expect(local.items.map((i) => [i.bucketStart, i.localDate, i.entryCount, i.avgMood])).toEqual([
      ["2025-03-08T05:00:00.000Z", "2025-03-08", 1, 3],
      ["2025-03-09T05:00:00.000Z", "2025-03-09", 1, 5],
      ["2025-03-10T04:00:00.000Z", "2025-03-10", 0, null],
    ]);
    const inUtc = await getJson<MoodInsights>(`/v1/insights/mood${q(range)}`, utc);
    expect(inUtc.items.map((i) => [i.localDate, i.entryCount])).toEqual([
      ["2025-03-08", 0],
      ["2025-03-09", 1],
      ["2025-03-10", 1],
      // The range ends at 04:00Z on the 11th, so a UTC writer's range touches that day too.
      ["2025-03-11", 0],
    ]);
  });

  it("follows a change of time zone at once, for the very next read", async () => {
    const user = await registerUser({ timezone: "UTC" });
    await seedEntries(user.id, [{ occurredAt: "2025-03-09T04:30:00Z", mood: 3 }]); // 23:30 on the 8th in New York
    const range = { from: "2025-03-08T00:00:00Z", to: "2025-03-10T00:00:00Z", bucket: "day" };
    const before = await getJson<MoodInsights>(`/v1/insights/mood${q(range)}`, user);
    expect(before.timezone).toBe("UTC");
    expect(before.items.find((i) => i.entryCount > 0)?.localDate).toBe("2025-03-09");

    const moved = await call("/v1/me", {
      method: "PATCH",
      token: user.accessToken,
      body: { timezone: "America/New_York" },
    });
    expect(moved.status).toBe(200);
    const after = await getJson<MoodInsights>(`/v1/insights/mood${q(range)}`, user);
    expect(after.timezone).toBe("America/New_York");
    expect(after.items.find((i) => i.entryCount > 0)?.localDate).toBe("2025-03-08");
  });

  it("answers empty ranges and quiet ranges without inventing numbers", async () => {
    const user = await registerUser();
    await seedEntries(user.id, [{ occurredAt: "2025-01-01T12:00:00Z", mood: 5, sentiment: 0.5 }]);
    const empty = await getJson<MoodInsights>(
      `/v1/insights/mood${q({ from: "2025-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z" })}`,
      user,
    );
    expect(empty.items).toEqual([]);
    const quiet = await getJson<MoodInsights>(
      `/v1/insights/mood${q({ from: "2025-02-01T00:00:00Z", to: "2025-02-03T00:00:00Z" })}`,
      user,
    );
    expect(quiet.items.map((i) => [i.localDate, i.entryCount, i.avgMood, i.avgSentiment])).toEqual([
      ["2025-02-01", 0, null, null],
      ["2025-02-02", 0, null, null],
    ]);
  });

  it("a user with one entry gets one bucket with that entry's numbers", async () => {
    const user = await registerUser({ timezone: "Asia/Tokyo" });
    await seedEntries(user.id, [{ occurredAt: "2025-06-01T15:30:00Z", mood: 9, sentiment: -0.25 }]);
    const body = await getJson<MoodInsights>(
      `/v1/insights/mood${q({ from: "2025-06-02T00:00:00+09:00", to: "2025-06-03T00:00:00+09:00" })}`,
      user,
    );
    expect(body.items).toEqual([
      {
        bucketStart: "2025-06-01T15:00:00.000Z",
        localDate: "2025-06-02",
        entryCount: 1,
        avgMood: 9,
        avgSentiment: -0.25,
        moodCount: 1,
        analyzedCount: 1,
      },
    ]);
  });

  it("defaults to the last 90 days in day buckets", async () => {
    const user = await registerUser();
    await seedEntries(user.id, [{ occurredAt: new Date().toISOString(), mood: 7 }]);
    const body = await getJson<MoodInsights>("/v1/insights/mood", user);
    expect(body.bucket).toBe("day");
    expect(new Date(body.to).getTime() - new Date(body.from).getTime()).toBe(90 * 86_400_000);
    expect(body.items.length).toBeGreaterThanOrEqual(90);
    expect(body.items.reduce((n, i) => n + i.entryCount, 0)).toBe(1);
  });
});
