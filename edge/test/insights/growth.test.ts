import type { GrowthInsights } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { leastSquaresSlope } from "../../src/services/insights-growth.ts";
import { registerUser } from "../harness.ts";
import { getJson, q, seedEntries, seedTopic } from "./helpers.ts";

const joy = [{ label: "joy", score: 0.8 }];
const sadness = [{ label: "sadness", score: 0.8 }];

describe("GET /v1/insights/growth", () => {
  it("February so far against January, every number hand-computed", async () => {
    const user = await registerUser();
    const work = await seedTopic(user.id, "Work");
    const health = await seedTopic(user.id, "Health");
    const sleep = await seedTopic(user.id, "Sleep");
    await seedEntries(user.id, [
      // January: days 0, 10, 20 and 30 of the month (two entries on the 31st).
      {
        occurredAt: "2025-01-01T09:00:00Z",
        sentiment: -0.5,
        emotions: sadness,
        words: 100,
        topicIds: [work],
      },
      { occurredAt: "2025-01-11T09:00:00Z", sentiment: 0, emotions: sadness, words: 100, topicIds: [work] },
      {
        occurredAt: "2025-01-21T09:00:00Z",
        sentiment: 0.5,
        emotions: joy,
        words: 100,
        topicIds: [work, sleep],
      },
      { occurredAt: "2025-01-31T09:00:00Z", sentiment: 0.25, emotions: joy, words: 100 },
      { occurredAt: "2025-01-31T20:00:00Z", sentiment: 0.75, emotions: joy, words: 100 },
      // February, up to the 15th: days 0, 1, 4 (analysis pending) and 9.
      { occurredAt: "2025-02-01T09:00:00Z", sentiment: 0.5, emotions: joy, words: 50, topicIds: [health] },
      {
        occurredAt: "2025-02-02T09:00:00Z",
        sentiment: 0.25,
        emotions: joy,
        words: 50,
        topicIds: [health, sleep],
      },
      { occurredAt: "2025-02-05T09:00:00Z", words: 50, topicIds: [sleep] },
      {
        occurredAt: "2025-02-10T09:00:00Z",
        sentiment: -0.25,
        emotions: sadness,
        words: 50,
        topicIds: [work],
      },
      // Never counted: outside both months, or deleted.
      { occurredAt: "2024-12-31T23:59:00Z", sentiment: 1, emotions: joy, words: 1000, topicIds: [work] },
      { occurredAt: "2025-03-01T00:00:00Z", sentiment: 1, emotions: joy, words: 1000, topicIds: [work] },
      {
        occurredAt: "2025-02-03T09:00:00Z",
        sentiment: -1,
        emotions: sadness,
        words: 1000,
        deleted: true,
        topicIds: [work],
      },
    ]);
    const body = await getJson<GrowthInsights>(
      `/v1/insights/growth${q({ period: "month", at: "2025-02-15T12:00:00Z" })}`,
      user,
    );
    expect(body.current).toEqual({
      start: "2025-02-01T00:00:00.000Z",
      end: "2025-03-01T00:00:00.000Z",
      localStart: "2025-02-01",
      days: 28,
      elapsedDays: 15,
    });
    expect(body.previous).toMatchObject({ start: "2025-01-01T00:00:00.000Z", days: 31, elapsedDays: 31 });

    // January points (0,-0.5) (10,0) (20,0.5) (30,0.5): Sxy = 17.5, Sxx = 500, slope 0.035; mean 0.125.
    expect(body.sentiment.previous).toMatchObject({
      slopePerDay: 0.035,
      meanDaily: 0.125,
      daysWithSentiment: 4,
    });
    expect(body.sentiment.previous.daily.map((d) => [d.day, d.avgSentiment])).toEqual([
      [0, -0.5],
      [10, 0],
      [20, 0.5],
      [30, 0.5],
    ]);
    // February points (0,0.5) (1,0.25) (9,-0.25): slope = -(11/3) / (146/3) = -0.07534…; mean 1/6.
    expect(body.sentiment.current).toMatchObject({
      slopePerDay: -0.0753,
      meanDaily: 0.1667,
      daysWithSentiment: 3,
    });
    expect(body.sentiment.meanDelta).toBe(0.0417);

    // Top-emotion shares: January joy 3/5, sadness 2/5; February joy 2/3, sadness 1/3.
    expect(body.emotions).toEqual({
      currentAnalyzed: 3,
      previousAnalyzed: 5,
      shifts: [
        {
          label: "joy",
          currentShare: 0.6667,
          previousShare: 0.6,
          delta: 0.0667,
          currentCount: 2,
          previousCount: 3,
        },
        {
          label: "sadness",
          currentShare: 0.3333,
          previousShare: 0.4,
          delta: -0.0667,
          currentCount: 1,
          previousCount: 2,
        },
      ],
    });

    expect(body.topics).toEqual({
      rising: [
        { id: health, name: "Health", current: 2, previous: 0, delta: 2 },
        { id: sleep, name: "Sleep", current: 2, previous: 1, delta: 1 },
      ],
      fading: [{ id: work, name: "Work", current: 1, previous: 3, delta: -2 }],
    });

    // Days written over days elapsed: 4/15 now, 4/31 before.
    expect(body.consistency).toEqual({
      current: { daysWritten: 4, ratio: 0.2667, entries: 4, words: 200 },
      previous: { daysWritten: 4, ratio: 0.129, entries: 5, words: 500 },
      delta: 0.1377,
    });
  });

  it("weeks start on local Monday, also across a DST change", async () => {
    const user = await registerUser({ timezone: "Europe/Berlin" });
    await seedEntries(user.id, [
      { occurredAt: "2025-03-24T08:00:00Z", sentiment: 0.5 }, // Mon 24th
      { occurredAt: "2025-03-30T21:30:00Z", sentiment: -0.5 }, // Sun 30th 23:30 summer time
      { occurredAt: "2025-03-19T08:00:00Z", sentiment: 0 }, // the week before
    ]);
    const body = await getJson<GrowthInsights>(
      `/v1/insights/growth${q({ period: "week", at: "2025-03-30T12:00:00Z" })}`,
      user,
    );
    expect(body.current).toEqual({
      start: "2025-03-23T23:00:00.000Z",
      end: "2025-03-30T22:00:00.000Z",
      localStart: "2025-03-24",
      days: 7,
      elapsedDays: 7,
    });
    expect(body.previous).toMatchObject({
      start: "2025-03-16T23:00:00.000Z",
      localStart: "2025-03-17",
      days: 7,
    });
    // (0, 0.5) and (6, -0.5): slope -1/6.
    expect(body.sentiment.current).toMatchObject({
      slopePerDay: -0.1667,
      meanDaily: 0,
      daysWithSentiment: 2,
    });
    expect(body.sentiment.previous).toMatchObject({ slopePerDay: null, meanDaily: 0, daysWithSentiment: 1 });
    expect(body.consistency.current).toMatchObject({ daysWritten: 2, ratio: 0.2857 });
    expect(body.consistency.previous).toMatchObject({ daysWritten: 1, ratio: 0.1429 });
  });

  it("a new writer gets empty comparisons, not errors", async () => {
    const user = await registerUser();
    const body = await getJson<GrowthInsights>("/v1/insights/growth", user);
    expect(body.period).toBe("week");
    expect(body.sentiment).toMatchObject({
      meanDelta: null,
      current: { slopePerDay: null, daysWithSentiment: 0 },
    });
    expect(body.emotions.shifts).toEqual([]);
    expect(body.topics).toEqual({ rising: [], fading: [] });
    expect(body.consistency.current.daysWritten).toBe(0);
  });

  it("least squares: slope of a line, null without two points", () => {
    expect(leastSquaresSlope([])).toBeNull();
    expect(leastSquaresSlope([{ x: 1, y: 2 }])).toBeNull();
    expect(
      leastSquaresSlope([
        { x: 0, y: 1 },
        { x: 2, y: 2 },
        { x: 4, y: 3 },
      ]),
    ).toBeCloseTo(0.5);
  });
});
