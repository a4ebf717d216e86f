import type { TopicInsights } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { registerUser } from "../harness.ts";
import { getJson, q, seedEntries, seedTopic } from "./helpers.ts";

describe("GET /v1/insights/topics", () => {
  it("counts entries per topic and local week, busiest topics first", async () => {
    const user = await registerUser();
    const work = await seedTopic(user.id, "Work");
    const sleep = await seedTopic(user.id, "Sleep");
    await seedTopic(user.id, "Unused");
    await seedEntries(user.id, [
      { occurredAt: "2025-01-06T09:00:00Z", topicIds: [work] }, // Monday, week 1
      { occurredAt: "2025-01-12T23:59:00Z", topicIds: [work] }, // Sunday night, still week 1
      { occurredAt: "2025-01-13T00:00:00Z", topicIds: [work, sleep] }, // Monday, week 2
      { occurredAt: "2025-01-14T00:00:00Z", topicIds: [work], deleted: true },
      { occurredAt: "2025-01-21T00:00:00Z", topicIds: [sleep] }, // after the range
    ]);
    const range = { from: "2025-01-06T00:00:00Z", to: "2025-01-20T00:00:00Z" };
    const body = await getJson<TopicInsights>(`/v1/insights/topics${q(range)}`, user);
    expect(body.bucket).toBe("week");
    expect(body.buckets).toEqual([
      { bucketStart: "2025-01-06T00:00:00.000Z", localDate: "2025-01-06" },
      { bucketStart: "2025-01-13T00:00:00.000Z", localDate: "2025-01-13" },
    ]);
    expect(body.items.map((t) => [t.name, t.total, t.counts])).toEqual([
      ["Work", 3, [2, 1]],
      ["Sleep", 1, [0, 1]],
    ]);
    const top = await getJson<TopicInsights>(
      `/v1/insights/topics${q({ ...range, limit: "1", bucket: "day" })}`,
      user,
    );
    expect(top.buckets).toHaveLength(14);
    expect(top.items.map((t) => [t.id, t.total])).toEqual([[work, 3]]);
    expect(top.items[0]?.counts.filter((n) => n > 0)).toEqual([1, 1, 1]);
  });

  it("follows the writer's zone: a Sunday-night entry in Tokyo belongs to Monday's week", async () => {
    const user = await registerUser({ timezone: "Asia/Tokyo" });
    const topic = await seedTopic(user.id, "Travel");
    // Sunday 12 January 16:00Z is Monday 13 January 01:00 in Tokyo.
    await seedEntries(user.id, [{ occurredAt: "2025-01-12T16:00:00Z", topicIds: [topic] }]);
    const body = await getJson<TopicInsights>(
      `/v1/insights/topics${q({ from: "2025-01-06T00:00:00+09:00", to: "2025-01-20T00:00:00+09:00" })}`,
      user,
    );
    expect(body.buckets.map((b) => b.bucketStart)).toEqual([
      "2025-01-05T15:00:00.000Z",
      "2025-01-12T15:00:00.000Z",
    ]);
    expect(body.items[0]?.counts).toEqual([0, 1]);
  });
});
