import { describe, expect, it } from "vitest";
import { KNOWLEDGE_ISSUES, knowledgeCatalog, matchKnowledgeIssue, rankTechniques } from "../src/index.ts";

describe("matchKnowledgeIssue", () => {
  it.each(KNOWLEDGE_ISSUES)("knows %s by its own name", (issue) => {
    expect(matchKnowledgeIssue(issue)).toEqual({ issue, by: "issue", term: issue });
  });

  it.each([
    ["overthinking", "rumination"],
    ["I keep overthinking everything", "rumination"],
    ["Panic attacks", "panic"],
    ["feeling anxious", "anxiety"],
    ["worries", "worry"],
    ["I can't sleep", "insomnia"],
    ["burnt out at work", "burnout"],
    ["feeling overwhelmed", "overwhelm"],
    ["lonely", "loneliness"],
    ["low mood", "low-mood"],
    ["Self-esteem", "low-self-esteem"],
    ["procrastinating", "procrastination"],
  ] as const)("reads %j as %s", (text, issue) => {
    expect(matchKnowledgeIssue(text)?.issue).toBe(issue);
  });

  it("says how it matched: a word for the issue, or a near spelling", () => {
    expect(matchKnowledgeIssue("overthinking")).toEqual({
      issue: "rumination",
      by: "synonym",
      term: "overthinking",
    });
    expect(matchKnowledgeIssue("anxeity")).toEqual({ issue: "anxiety", by: "spelling", term: "anxiety" });
    expect(matchKnowledgeIssue("insomia")).toEqual({ issue: "insomnia", by: "spelling", term: "insomnia" });
  });

  it("the most specific phrase wins over a single word inside it", () => {
    expect(matchKnowledgeIssue("fear of failure")?.issue).toBe("perfectionism");
    expect(matchKnowledgeIssue("not good enough")?.issue).toBe("low-self-esteem");
  });

  it("answers null for text that names nothing it knows", () => {
    for (const text of ["boredom", "xyzzy", "the", "   ", "12345"]) {
      expect(matchKnowledgeIssue(text), text).toBeNull();
    }
  });
});

describe("the knowledge catalog", () => {
  it("every issue has techniques in it, ranked best-evidenced first", () => {
    const { passages, domains } = knowledgeCatalog();
    expect(domains.length).toBeGreaterThan(0);
    const rank = { high: 0, medium: 1, low: 2 };
    for (const issue of KNOWLEDGE_ISSUES) {
      const { techniques } = rankTechniques(passages, { issue });
      expect(techniques.length, issue).toBeGreaterThan(0);
      const firsts = techniques.map((t) => rank[t.passages[0]?.evidenceLevel ?? "low"]);
      expect(firsts, issue).toEqual([...firsts].sort((a, b) => a - b));
    }
  });
});
