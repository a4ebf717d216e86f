import type { EmotionInsights } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { registerUser } from "../harness.ts";
import { getJson, q, seedEntries } from "./helpers.ts";

describe("GET /v1/insights/emotions", () => {
  it("shares are the fraction of analysed entries whose strongest emotion is the label", async () => {
    const user = await registerUser();
    await seedEntries(user.id, [
      {
        occurredAt: "2025-05-01T10:00:00Z",
        emotions: [
          { label: "joy", score: 0.7 },
          { label: "sadness", score: 0.2 },
        ],
      },
      // Labels compare lower-cased: "Joy" is joy; anger is strongest here.
      {
        occurredAt: "2025-05-02T10:00:00Z",
        emotions: [
          { label: "Joy", score: 0.4 },
          { label: "anger", score: 0.6 },
        ],
      },
      // A tie goes to the label first in alphabetical order.
      {
        occurredAt: "2025-05-03T10:00:00Z",
        emotions: [
          { label: "sadness", score: 0.5 },
          { label: "joy", score: 0.5 },
        ],
      },
      // Not counted: a pending analysis, no emotions, a deleted entry, an entry outside the range.
      { occurredAt: "2025-05-04T10:00:00Z", analysis: "pending", emotions: [{ label: "fear", score: 0.9 }] },
      { occurredAt: "2025-05-05T10:00:00Z", emotions: [] },
      { occurredAt: "2025-05-06T10:00:00Z", deleted: true, emotions: [{ label: "fear", score: 0.9 }] },
      { occurredAt: "2025-06-01T10:00:00Z", emotions: [{ label: "fear", score: 0.9 }] },
    ]);
    const body = await getJson<EmotionInsights>(
      `/v1/insights/emotions${q({ from: "2025-05-01T00:00:00Z", to: "2025-06-01T00:00:00Z" })}`,
      user,
    );
    expect(body.analyzedEntries).toBe(3);
    expect(body.items).toEqual([
      { label: "joy", share: 0.6667, count: 2, mentions: 3, avgScore: 0.5333 },
      { label: "anger", share: 0.3333, count: 1, mentions: 1, avgScore: 0.6 },
      { label: "sadness", share: 0, count: 0, mentions: 2, avgScore: 0.35 },
    ]);
  });

  it("an empty range has no distribution", async () => {
    const user = await registerUser();
    await seedEntries(user.id, [
      { occurredAt: "2025-05-01T10:00:00Z", emotions: [{ label: "joy", score: 1 }] },
    ]);
    const body = await getJson<EmotionInsights>(
      `/v1/insights/emotions${q({ from: "2024-01-01T00:00:00Z", to: "2024-02-01T00:00:00Z" })}`,
      user,
    );
    expect(body).toMatchObject({ analyzedEntries: 0, items: [] });
  });
});
