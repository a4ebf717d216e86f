import { describe, expect, it } from "vitest";
import { TAG_MAX_LENGTH } from "../src/entries.ts";
import { WRITING_PROMPTS, writingPromptSchema } from "../src/writing-prompts.ts";

describe("the built-in writing prompts", () => {
  it("are valid, with unique kebab-case ids", () => {
    for (const prompt of WRITING_PROMPTS) expect(writingPromptSchema.parse(prompt)).toEqual(prompt);
    const ids = WRITING_PROMPTS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it("give templates sections and prompts none, and every one a short why", () => {
    for (const p of WRITING_PROMPTS) {
      expect(p.sections.length > 0, p.id).toBe(p.kind === "template");
      expect(p.why.length, p.id).toBeLessThanOrEqual(120);
      for (const section of p.sections) expect(section.prompt.length, p.id).toBeGreaterThan(0);
    }
  });

  it("carry tags an entry can take as they are", () => {
    for (const p of WRITING_PROMPTS) {
      for (const tag of p.tags) {
        expect(tag).toBe(tag.trim().toLowerCase());
        expect(tag.length).toBeLessThanOrEqual(TAG_MAX_LENGTH);
      }
    }
  });
});
