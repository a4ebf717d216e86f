import { z } from "zod";
import {
  evidenceLevelSchema,
  type KnowledgeDomainsResponse,
  type KnowledgeIssue,
  type KnowledgeTechniquesRequest,
  type KnowledgeTechniquesResponse,
  knowledgeDomainSchema,
  knowledgeDomainsResponseSchema,
  knowledgeIssueSchema,
} from "./knowledge.ts";
import catalogJson from "./knowledge-catalog.json" with { type: "json" };

/**
 * What the API says about the knowledge base without reading it: its domains and, per passage, the
 * fields the techniques answer uses (no passage text). Generated from `inference-node/knowledge/` by
 * `inference-node/src/knowledge/catalog.ts`, whose test fails when the two drift apart, so the edge can
 * answer `GET /v1/psychology/domains` and `/techniques` without a node.
 */
export const knowledgeCatalogSchema = z.object({
  corpusHash: z.string(),
  domains: knowledgeDomainsResponseSchema.shape.domains,
  passages: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      domain: knowledgeDomainSchema,
      evidenceLevel: evidenceLevelSchema,
      credibility: z.number().min(0).max(1),
      techniques: z.array(z.string()),
      applications: z.array(knowledgeIssueSchema),
    }),
  ),
});
export type KnowledgeCatalog = z.infer<typeof knowledgeCatalogSchema>;
export type KnowledgeCatalogPassage = KnowledgeCatalog["passages"][number];

let catalog: KnowledgeCatalog | undefined;

/** The generated catalog, validated once on first use. */
export function knowledgeCatalog(): KnowledgeCatalog {
  catalog ??= knowledgeCatalogSchema.parse(catalogJson);
  return catalog;
}

export function catalogDomains(source: KnowledgeCatalog = knowledgeCatalog()): KnowledgeDomainsResponse {
  return { corpusHash: source.corpusHash, domains: source.domains };
}

const evidenceRank = { high: 0, medium: 1, low: 2 } as const;

/** Techniques the passages offer for one issue, each with the passages behind it, best-evidenced first. */
export function rankTechniques(
  passages: readonly KnowledgeCatalogPassage[],
  request: KnowledgeTechniquesRequest,
): KnowledgeTechniquesResponse {
  const matches = passages
    .filter((p) => p.applications.includes(request.issue as KnowledgeIssue))
    .filter((p) => request.domain === undefined || p.domain === request.domain)
    .filter((p) => request.evidenceLevel === undefined || p.evidenceLevel === request.evidenceLevel)
    .filter((p) => request.minCredibility === undefined || p.credibility >= request.minCredibility)
    .sort(
      (a, b) =>
        evidenceRank[a.evidenceLevel] - evidenceRank[b.evidenceLevel] ||
        b.credibility - a.credibility ||
        a.id.localeCompare(b.id),
    );
  const techniques = new Map<string, KnowledgeTechniquesResponse["techniques"][number]>();
  for (const passage of matches) {
    for (const name of passage.techniques) {
      const key = name.toLowerCase();
      const entry = techniques.get(key) ?? { name, passages: [] };
      entry.passages.push({
        id: passage.id,
        title: passage.title,
        domain: passage.domain,
        evidenceLevel: passage.evidenceLevel,
        credibility: passage.credibility,
      });
      techniques.set(key, entry);
    }
  }
  // Map order is insertion order, which already follows the evidence ranking of each technique's best passage.
  return { issue: request.issue, techniques: [...techniques.values()] };
}
