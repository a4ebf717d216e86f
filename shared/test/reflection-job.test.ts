import { describe, expect, it } from "vitest";
import { estimateTokens, keepAllowedCitations } from "../src/reflection-job.ts";

describe("keepAllowedCitations", () => {
  it("keeps markers of allowed ids once each, in order, and removes every other marker from the text", () => {
    const kept = keepAllowedCitations(
      "Monday was bright [entry:a]. Tuesday too [entry:b] [entry:x], and Monday again [entry:a] [entry:zz].",
      new Set(["a", "b"]),
    );
    expect(kept.citations).toEqual([{ entryId: "a" }, { entryId: "b" }]);
    expect(kept.text).toBe("Monday was bright [entry:a]. Tuesday too [entry:b], and Monday again [entry:a].");
  });

  it("leaves text without markers as it is, trimmed", () => {
    expect(keepAllowedCitations("  A quiet week.  ", new Set())).toEqual({
      text: "A quiet week.",
      citations: [],
    });
  });
});

describe("estimateTokens", () => {
  it("counts about four characters a token", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
  });
});
