import { readFileSync } from "node:fs";
import { knowledgeCatalog, rankTechniques } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { buildKnowledgeCatalog, catalogPath } from "../../src/knowledge/catalog.ts";
import { loadKnowledgeCorpus } from "../../src/knowledge/corpus.ts";

const corpus = loadKnowledgeCorpus();

describe("the knowledge catalog the edge answers from", () => {
  it("is the corpus as it is now (after editing inference-node/knowledge/, run: node_modules/.bin/tsx inference-node/src/knowledge/catalog.ts)", () => {
    const stored: unknown = JSON.parse(readFileSync(catalogPath, "utf8"));
    expect(stored).toEqual(buildKnowledgeCatalog(corpus));
  });

  it("gives the same domains and techniques as the node, hash included", () => {
    const catalog = knowledgeCatalog();
    expect(catalog.corpusHash).toBe(corpus.hash);
    for (const issue of ["rumination", "anxiety", "insomnia"] as const) {
      expect(rankTechniques(catalog.passages, { issue, evidenceLevel: "high" })).toEqual(
        rankTechniques(corpus.passages, { issue, evidenceLevel: "high" }),
      );
    }
  });

  it("carries no passage text or sources: the Worker ships only what its answers show", () => {
    const text = readFileSync(catalogPath, "utf8");
    const [first] = corpus.passages;
    expect(first).toBeDefined();
    expect(text).not.toContain(first?.text.slice(0, 40));
    expect(text).not.toContain('"source"');
  });
});
