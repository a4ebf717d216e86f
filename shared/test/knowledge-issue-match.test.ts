import { describe, expect, it } from "vitest";
import {
  DEFAULT_KNOWLEDGE_ISSUE,
  KNOWLEDGE_ISSUES,
  knowledgeCatalog,
  matchKnowledgeIssue,
  nearestKnowledgeIssue,
  rankTechniques,
} from "../src/index.ts";

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

describe("nearestKnowledgeIssue", () => {
  const { passages } = knowledgeCatalog();

  it("picks the issue whose passages share the most words with the text", () => {
    // "diary" is in three insomnia techniques (sleep diary) and one shared by four other issues.
    expect(nearestKnowledgeIssue("my diary", passages)).toEqual({
      issue: "insomnia",
      by: "nearest",
      term: "diary",
    });
  });

  it("sums over passages and breaks ties by the order of the issues", () => {
    const made = [
      { title: "Kite flying", techniques: ["kite"], applications: ["anger" as const] },
      { title: "Kite repair", techniques: [], applications: ["stress" as const, "anxiety" as const] },
      { title: "Flying lessons", techniques: [], applications: ["stress" as const] },
    ];
    // anger: kite + flying in one passage = 2; stress: kite (1) + flying (1) = 2; anxiety: 1. Stress is
    // listed before anger.
    expect(KNOWLEDGE_ISSUES.indexOf("stress")).toBeLessThan(KNOWLEDGE_ISSUES.indexOf("anger"));
    expect(nearestKnowledgeIssue("flying kites", made)).toEqual({
      issue: "stress",
      by: "nearest",
      term: "flying kite",
    });
  });

  it("falls back to general well-being when nothing is shared", () => {
    for (const text of ["boredom", "xyzzy", "the", "12345"]) {
      expect(nearestKnowledgeIssue(text, passages), text).toEqual({
        issue: DEFAULT_KNOWLEDGE_ISSUE,
        by: "default",
        term: DEFAULT_KNOWLEDGE_ISSUE,
      });
    }
    expect(DEFAULT_KNOWLEDGE_ISSUE).toBe("wellbeing");
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
