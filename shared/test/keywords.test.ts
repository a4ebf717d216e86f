import { describe, expect, it } from "vitest";
import { contentStems, extractKeywords, keywordStem } from "../src/keywords.ts";

describe("keywordStem", () => {
  it("meets a word however it is inflected: case, possessive, plural", () => {
    expect(keywordStem("Deadlines")).toBe("deadline");
    expect(keywordStem("manager's")).toBe("manager");
    expect(keywordStem("Anna’s")).toBe("anna");
    expect(keywordStem("worries")).toBe("worry");
    expect(keywordStem("stress")).toBe("stress");
    expect(keywordStem("focus")).toBe("focus");
    expect(keywordStem("bus")).toBe("bus");
  });
});

describe("contentStems", () => {
  it("keeps content words only, stemmed", () => {
    expect([...contentStems("I think my deadlines are the worries of the week")]).toEqual([
      "deadline",
      "worry",
      "week",
    ]);
    expect(contentStems("")).toEqual(new Set());
  });

  it("agrees with the keyword extractor on which words count", () => {
    const text = "Swimming lessons: the lessons went well, and swimming felt easier.";
    const stems = contentStems(text);
    for (const keyword of extractKeywords(text)) expect(stems.has(keywordStem(keyword))).toBe(true);
  });
});
