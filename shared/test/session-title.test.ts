import { describe, expect, it } from "vitest";
import {
  keywordSessionTitle,
  parseSessionTitleAnswer,
  sanitizeSessionTags,
  sanitizeSessionTitle,
  titleSessionResultSchema,
} from "../src/session-title.ts";

describe("reading a model's session title", () => {
  it("takes the first JSON object, trims quotes, markup and the full stop, and bounds the tags", () => {
    expect(
      parseSessionTitleAnswer(
        'Here you go: {"title": "Title: **“Sleep and late-night worry.”**", "tags": ["Sleep", "late night", "#worry", "x", "sleep", "fourth"]} done',
      ),
    ).toEqual({ title: "Sleep and late-night worry", tags: ["sleep", "late-night", "worry"] });
  });

  it("refuses prose, broken JSON, a non-string title and a title without words", () => {
    for (const text of [
      "A good title would be Sleep.",
      '{"title": "Sleep',
      '{"title": ["Sleep"]}',
      '{"name": "Sleep"}',
      '{"title": "?? 123 !!"}',
      "",
    ]) {
      expect(parseSessionTitleAnswer(text), text).toBeUndefined();
    }
  });

  it("cuts a long title at a word and strips control characters", () => {
    const title = sanitizeSessionTitle(`A very\u0000 long ${"rambling ".repeat(20)}title`);
    expect(title?.length).toBeLessThanOrEqual(60);
    expect(title).toMatch(/^A very long rambling/);
    expect(title).not.toMatch(/\s$/);
    expect(sanitizeSessionTags(["Ünïcode Ok", 3, "--", "a"])).toEqual(["ünïcode-ok"]);
  });
});

describe("the keyword title", () => {
  it("is the most frequent telling words, ties alphabetical, and always valid as a job result", () => {
    const named = keywordSessionTitle([
      "My sister visited and we argued about the holidays again.",
      "Who hosts the holidays is the question. My sister always decides.",
    ]);
    expect(named).toEqual({ title: "Holidays, sister, argued", tags: ["holidays", "sister", "argued"] });
    expect(
      titleSessionResultSchema.safeParse({ jobId: "j", sessionId: "s", source: "keywords", ...named })
        .success,
    ).toBe(true);
  });

  it("falls back to the opening words, then to a plain title", () => {
    expect(keywordSessionTitle(["ok so um hi"])).toEqual({ title: "ok so um hi", tags: [] });
    expect(keywordSessionTitle(["🙂 🙂"])).toEqual({ title: "Conversation", tags: [] });
  });
});
