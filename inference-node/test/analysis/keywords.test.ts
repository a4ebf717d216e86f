import { describe, expect, it } from "vitest";
import { extractKeywords } from "../../src/analysis/keywords.ts";

describe("extractKeywords", () => {
  it("ranks content words by frequency, ties by first appearance, without stopwords", () => {
    const text =
      "Work was hard. I think work is hard because my manager's deadlines are hard. Deadlines again!";
    expect(extractKeywords(text, 3)).toEqual(["hard", "work", "deadlines"]);
  });

  it("drops possessives, short words and numbers, and is deterministic", () => {
    const text = "Anna's garden: 42 roses, an ox, and Anna’s roses again.";
    expect(extractKeywords(text)).toEqual(["anna", "roses", "garden"]);
    expect(extractKeywords(text)).toEqual(extractKeywords(text));
    expect(extractKeywords("")).toEqual([]);
  });
});
