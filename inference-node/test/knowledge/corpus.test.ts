import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  countWords,
  KNOWLEDGE_DOMAINS,
  knowledgeFileSchema,
  MIN_CORPUS_DOMAINS,
  MIN_CORPUS_PASSAGES,
  PASSAGE_MAX_WORDS,
  PASSAGE_MIN_WORDS,
} from "@inkwell/shared";
import { afterAll, describe, expect, it } from "vitest";
import {
  corpusFromFiles,
  defaultKnowledgeDir,
  KnowledgeCorpusError,
  loadKnowledgeCorpus,
  techniquesForIssue,
} from "../../src/knowledge/corpus.ts";

const corpus = loadKnowledgeCorpus();
const fileNames = readdirSync(defaultKnowledgeDir).filter((name) => name.endsWith(".json"));
const scratch = mkdtempSync(join(tmpdir(), "inkwell-knowledge-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the knowledge corpus files", () => {
  it.each(fileNames)("%s matches the shared schema and is named after its domain", (name) => {
    const file = knowledgeFileSchema.parse(JSON.parse(readFileSync(join(defaultKnowledgeDir, name), "utf8")));
    expect(name).toBe(`${file.domain}.json`);
  });

  it(`holds at least ${MIN_CORPUS_PASSAGES} passages across at least ${MIN_CORPUS_DOMAINS} domains`, () => {
    expect(corpus.passages.length).toBeGreaterThanOrEqual(MIN_CORPUS_PASSAGES);
    expect(new Set(corpus.passages.map((p) => p.domain)).size).toBeGreaterThanOrEqual(MIN_CORPUS_DOMAINS);
    expect(corpus.files.map((f) => f.domain).sort()).toEqual([...KNOWLEDGE_DOMAINS].sort());
  });

  it("has unique ids and passages of the allowed length", () => {
    expect(new Set(corpus.passages.map((p) => p.id)).size).toBe(corpus.passages.length);
    for (const passage of corpus.passages) {
      const words = countWords(passage.text);
      expect(words, passage.id).toBeGreaterThanOrEqual(PASSAGE_MIN_WORDS);
      expect(words, passage.id).toBeLessThanOrEqual(PASSAGE_MAX_WORDS);
    }
  });

  it("cites a real-looking work for every passage: authors, year and title, identifiers well-formed", () => {
    for (const { id, source } of corpus.passages) {
      expect(source.authors.length, id).toBeGreaterThan(0);
      for (const author of source.authors) expect(author, id).not.toMatch(/et al/i);
      expect(source.year, id).toBeGreaterThan(1900);
      expect(source.title.length, id).toBeGreaterThan(3);
      if (source.doi) expect(source.doi, id).toMatch(/^10\.\d{4,9}\/\S+$/);
    }
    // The same work is cited the same way wherever it appears.
    const byTitle = new Map<string, string>();
    for (const { source } of corpus.passages) {
      const key = JSON.stringify({ ...source });
      const seen = byTitle.get(source.title);
      if (seen !== undefined) expect(key).toBe(seen);
      byTitle.set(source.title, key);
    }
  });

  it("keeps the credibility in line with the evidence level", () => {
    for (const passage of corpus.passages) {
      if (passage.evidenceLevel === "high")
        expect(passage.credibility, passage.id).toBeGreaterThanOrEqual(0.8);
      if (passage.evidenceLevel === "low") expect(passage.credibility, passage.id).toBeLessThanOrEqual(0.7);
    }
  });

  it("points to help in every crisis passage rather than handling a crisis itself", () => {
    const crisis = corpus.passages.filter((p) => p.domain === "crisis-support");
    expect(crisis.length).toBeGreaterThan(0);
    const mentionsHelp = crisis.filter((p) => /emergency|crisis line|doctor|professional|help/i.test(p.text));
    expect(mentionsHelp.length).toBe(crisis.length);
  });
});

describe("the corpus hash", () => {
  it("is stable across loads and ignores formatting", () => {
    expect(loadKnowledgeCorpus().hash).toBe(corpus.hash);
    const dir = mkdtempSync(join(scratch, "reformatted-"));
    for (const file of corpus.files) writeFileSync(join(dir, `${file.domain}.json`), JSON.stringify(file));
    expect(loadKnowledgeCorpus(dir).hash).toBe(corpus.hash);
  });

  it("changes when any passage changes", () => {
    const [first, ...rest] = corpus.files;
    if (!first) throw new Error("empty corpus");
    const edited = {
      ...first,
      passages: first.passages.map((p, i) => (i === 0 ? { ...p, credibility: p.credibility - 0.01 } : p)),
    };
    expect(corpusFromFiles([edited, ...rest]).hash).not.toBe(corpus.hash);
  });
});

describe("loading a broken corpus", () => {
  it("names the file and field of each problem", () => {
    const dir = mkdtempSync(join(scratch, "broken-"));
    const [first] = corpus.files;
    if (!first) throw new Error("empty corpus");
    const broken = {
      ...first,
      passages: [{ ...first.passages[0], source: { title: "No authors", year: 2000 } }],
    };
    writeFileSync(join(dir, `${first.domain}.json`), JSON.stringify(broken));
    expect(() => loadKnowledgeCorpus(dir)).toThrow(`${first.domain}.json: passages.0.source.authors`);
    expect(() => loadKnowledgeCorpus(dir)).toThrow(KnowledgeCorpusError);
  });

  it("refuses duplicate ids across files and a corpus that is too small", () => {
    const dir = mkdtempSync(join(scratch, "small-"));
    const [first, second] = corpus.files;
    if (!first || !second) throw new Error("empty corpus");
    const copied = { ...first.passages[0], domain: second.domain };
    writeFileSync(join(dir, `${first.domain}.json`), JSON.stringify(first));
    writeFileSync(join(dir, `${second.domain}.json`), JSON.stringify({ ...second, passages: [copied] }));
    expect(() => loadKnowledgeCorpus(dir)).toThrow(/duplicate id[\s\S]*fewer than 60[\s\S]*fewer than 8/);
  });

  it("refuses a file that is not JSON", () => {
    const dir = mkdtempSync(join(scratch, "not-json-"));
    writeFileSync(join(dir, "cbt.json"), "{ nope");
    expect(() => loadKnowledgeCorpus(dir)).toThrow(/cbt\.json is not valid JSON/);
  });
});

describe("techniques by issue", () => {
  it("lists techniques for rumination, best evidence first, each with its passages", () => {
    const result = techniquesForIssue(corpus, { issue: "rumination" });
    expect(result.issue).toBe("rumination");
    expect(result.techniques.length).toBeGreaterThan(3);
    const first = result.techniques[0]?.passages[0];
    expect(first?.evidenceLevel).toBe("high");
    for (const technique of result.techniques) {
      for (const ref of technique.passages) {
        expect(corpus.byId.get(ref.id)?.applications).toContain("rumination");
      }
    }
  });

  it("filters by domain, evidence level and credibility", () => {
    const sleep = techniquesForIssue(corpus, { issue: "insomnia", domain: "sleep", evidenceLevel: "high" });
    expect(sleep.techniques.map((t) => t.name)).toContain("stimulus control");
    for (const t of sleep.techniques) {
      for (const p of t.passages) expect([p.domain, p.evidenceLevel]).toEqual(["sleep", "high"]);
    }
    const strict = techniquesForIssue(corpus, { issue: "anxiety", minCredibility: 0.99 });
    expect(strict.techniques).toEqual([]);
  });

  it("has something for every issue the schema names", async () => {
    const { KNOWLEDGE_ISSUES } = await import("@inkwell/shared");
    for (const issue of KNOWLEDGE_ISSUES) {
      expect(techniquesForIssue(corpus, { issue }).techniques.length, issue).toBeGreaterThan(0);
    }
  });
});
