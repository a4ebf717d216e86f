import type { WritingInsights } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { writingInsights } from "../../src/services/insights.ts";
import { registerUser, testDb } from "../harness.ts";
import { getJson, seedEntries } from "./helpers.ts";

/*
 * Europe/Berlin, local days 27 to 31 March 2025 in a row across the change to summer time (the
 * 30th has 23 hours), then a gap on 1 April, then the 2nd and 3rd. In UTC the same instants fall
 * on 27, 28, 28, 30, 30, 30 March: no five-day run at all.
 */
const berlin = [
  { occurredAt: "2025-03-27T11:00:00Z", words: 100 }, // Thu 27th 12:00
  { occurredAt: "2025-03-28T22:30:00Z", words: 50 }, // Fri 28th 23:30 (counts for the 28th)
  { occurredAt: "2025-03-28T23:30:00Z", words: 10 }, // Sat 29th 00:30
  { occurredAt: "2025-03-30T01:30:00Z", words: 20 }, // Sun 30th 03:30, right after the change
  { occurredAt: "2025-03-30T21:30:00Z", words: 30 }, // Sun 30th 23:30
  { occurredAt: "2025-03-30T22:15:00Z", words: 40 }, // Mon 31st 00:15
  { occurredAt: "2025-04-02T10:00:00Z", words: 60 }, // Wed 2nd 12:00
  { occurredAt: "2025-04-03T10:00:00Z", words: 70 }, // Thu 3rd 12:00
  { occurredAt: "2025-04-01T10:00:00Z", words: 999, deleted: true }, // would bridge the gap, but is deleted
];

describe("GET /v1/insights/writing", () => {
  it("totals, streaks across DST, weekdays and hours in the writer's zone", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    await seedEntries(user.id, berlin);
    const body = await getJson<WritingInsights>("/v1/insights/writing", user);
    expect(body).toMatchObject({
      timezone: "Europe/Berlin",
      totalEntries: 8,
      totalWords: 380,
      activeDays: 7,
      longestStreakDays: 5,
      longestStreak: { start: "2025-03-27", end: "2025-03-31" },
      // Long ago: no current streak.
      currentStreakDays: 0,
      firstEntryAt: "2025-03-27T11:00:00.000Z",
      lastEntryAt: "2025-04-03T10:00:00.000Z",
    });
    expect(body.byWeekday.map((d) => [d.name, d.count, d.words])).toEqual([
      ["monday", 1, 40],
      ["tuesday", 0, 0],
      ["wednesday", 1, 60],
      ["thursday", 2, 170],
      ["friday", 1, 50],
      ["saturday", 1, 10],
      ["sunday", 2, 50],
    ]);
    expect(body.byHour).toHaveLength(24);
    const hours = Object.fromEntries(body.byHour.filter((h) => h.count > 0).map((h) => [h.hour, h.count]));
    expect(hours).toEqual({ 0: 2, 3: 1, 12: 3, 23: 2 });
  });

  it("the current streak reaches today, or yesterday while today is still empty", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    await seedEntries(user.id, berlin);
    const db = testDb();
    const at = async (now: string) =>
      (await writingInsights(db, user.id, "Europe/Berlin", new Date(now))).currentStreakDays;
    expect(await at("2025-04-03T18:00:00Z")).toBe(2); // Thu 3rd, written today
    expect(await at("2025-04-03T22:30:00Z")).toBe(2); // Fri 4th 00:30 local: yesterday keeps it alive
    expect(await at("2025-04-04T22:30:00Z")).toBe(0); // Sat 5th: the streak is over
    expect(await at("2025-03-31T12:00:00Z")).toBe(5); // Mon 31st, through the DST weekend
    expect(await at("2025-03-29T12:00:00Z")).toBe(3); // Sat 29th: a later entry never extends today's count
  });

  it("counts a streak up to today through the API's own clock", async () => {
    const user = await registerUser();
    const now = Date.now();
    const day = 86_400_000;
    await seedEntries(
      user.id,
      [0, 1, 2, 4].map((k) => ({ occurredAt: new Date(now - k * day - 1000).toISOString() })),
    );
    const body = await getJson<WritingInsights>("/v1/insights/writing", user);
    expect(body).toMatchObject({
      totalEntries: 4,
      currentStreakDays: 3,
      longestStreakDays: 3,
      activeDays: 4,
    });
  });

  it("a new writer has zeros everywhere, and one entry makes a one-day streak", async () => {
    const user = await registerUser();
    const empty = await getJson<WritingInsights>("/v1/insights/writing", user);
    expect(empty).toMatchObject({
      totalEntries: 0,
      totalWords: 0,
      activeDays: 0,
      currentStreakDays: 0,
      longestStreakDays: 0,
      longestStreak: null,
      firstEntryAt: null,
      lastEntryAt: null,
    });
    expect(empty.byWeekday.every((d) => d.count === 0)).toBe(true);

    const single = await registerUser();
    await seedEntries(single.id, [{ occurredAt: "2024-02-29T08:00:00Z", words: 12 }]);
    const body = await getJson<WritingInsights>("/v1/insights/writing", single);
    expect(body).toMatchObject({
      totalEntries: 1,
      totalWords: 12,
      activeDays: 1,
      longestStreakDays: 1,
      longestStreak: { start: "2024-02-29", end: "2024-02-29" },
    });
    expect(body.byWeekday.find((d) => d.count === 1)?.name).toBe("thursday");
  });
});
