import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { KnowledgeCatalog } from "@inkwell/shared";
import { type KnowledgeCorpus, loadKnowledgeCorpus } from "./corpus.ts";

/** Where the edge's copy lives: the shared package, bundled into the Worker. */
export const catalogPath = fileURLToPath(
  new URL("../../../shared/src/knowledge-catalog.json", import.meta.url),
);

/** The corpus without its passage text and sources: all the edge needs for domains and techniques. */
export function buildKnowledgeCatalog(corpus: KnowledgeCorpus): KnowledgeCatalog {
  return {
    corpusHash: corpus.hash,
    domains: corpus.files.map((file) => ({
      domain: file.domain,
      title: file.title,
      description: file.description,
      passageCount: file.passages.length,
    })),
    passages: corpus.passages.map((p) => ({
      id: p.id,
      title: p.title,
      domain: p.domain,
      evidenceLevel: p.evidenceLevel,
      credibility: p.credibility,
      techniques: p.techniques,
      applications: p.applications,
    })),
  };
}

// `tsx inference-node/src/knowledge/catalog.ts` rewrites the catalog after the corpus changed.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(catalogPath, `${JSON.stringify(buildKnowledgeCatalog(loadKnowledgeCorpus()), null, 2)}\n`);
  console.log(`wrote ${catalogPath}`);
}
