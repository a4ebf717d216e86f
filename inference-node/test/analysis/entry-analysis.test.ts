import { describe, expect, it } from "vitest";
import { NEUTRAL_BAND, toEmotions, toSentiment } from "../../src/analysis/entry-analysis.ts";

const scores = (entries: Record<string, number>) =>
  Object.entries(entries).map(([label, score]) => ({ label, score }));

describe("toSentiment", () => {
  it("takes a three-class model's neutral as it is, with polarity as the score", () => {
    // Polarity 0.3 would be positive under the binary band; the model says neutral, and it is.
    expect(toSentiment(scores({ negative: 0.1, neutral: 0.5, positive: 0.4 }))).toEqual({
      label: "neutral",
      score: 0.3,
    });
    expect(toSentiment(scores({ negative: 0.45, neutral: 0.1, positive: 0.45 })).label).toBe("neutral");
    expect(toSentiment(scores({ negative: 0.5, neutral: 0.3, positive: 0.2 }))).toEqual({
      label: "negative",
      score: -0.3,
    });
    expect(toSentiment(scores({ negative: 0.05, neutral: 0.15, positive: 0.8 })).label).toBe("positive");
  });

  it("keeps the polarity band for binary models (the UCI head, a pulled distilbert-sst2)", () => {
    expect(toSentiment(scores({ negative: 0.45, positive: 0.55 })).label).toBe("neutral");
    expect(toSentiment(scores({ negative: 0.3, positive: 0.7 })).label).toBe("positive");
    expect(toSentiment(scores({ negative: 0.5 + NEUTRAL_BAND, positive: 0.5 - NEUTRAL_BAND })).label).toBe(
      "negative",
    );
  });
});

describe("toEmotions", () => {
  it("lists every known label once, most likely first, as a distribution", () => {
    const emotions = toEmotions(
      scores({
        joy: 0.45,
        sadness: 0.38,
        neutral: 0.05,
        anger: 0.04,
        fear: 0.04,
        disgust: 0.02,
        surprise: 0.02,
      }),
    );
    expect(emotions.map((e) => e.label).slice(0, 2)).toEqual(["joy", "sadness"]);
    expect(emotions).toHaveLength(7);
    expect(emotions.reduce((sum, e) => sum + e.score, 0)).toBeCloseTo(1, 3);
  });

  it("drops labels it does not know and renormalises over the rest", () => {
    const emotions = toEmotions(scores({ joy: 0.3, love: 0.5, sadness: 0.2 }));
    expect(emotions).toEqual([
      { label: "joy", score: 0.6 },
      { label: "sadness", score: 0.4 },
    ]);
  });
});
