import { z } from "zod";
import { countWords } from "./entries.ts";

/**
 * The psychology knowledge base: passages the project writes in its own words, each summarising a real
 * published work. The corpus lives as JSON files on the nodes (`inference-node/knowledge/`); these schemas
 * validate those files and the node's knowledge endpoints the edge calls.
 */

export const KNOWLEDGE_DOMAINS = [
  "cbt",
  "emotional-regulation",
  "mindfulness",
  "stress",
  "sleep",
  "habits",
  "social-connection",
  "grief",
  "positive-psychology",
  "expressive-writing",
  "crisis-support",
] as const;
export const knowledgeDomainSchema = z.enum(KNOWLEDGE_DOMAINS);
export type KnowledgeDomain = z.infer<typeof knowledgeDomainSchema>;

/**
 * The issues a passage helps with. A closed list so "techniques for rumination" finds every passage that
 * tagged it, rather than missing one that wrote "ruminating".
 */
export const KNOWLEDGE_ISSUES = [
  "anxiety",
  "worry",
  "panic",
  "rumination",
  "low-mood",
  "stress",
  "anger",
  "overwhelm",
  "insomnia",
  "loneliness",
  "relationships",
  "grief",
  "procrastination",
  "motivation",
  "habits",
  "self-criticism",
  "perfectionism",
  "low-self-esteem",
  "burnout",
  "crisis",
  "trauma",
  "wellbeing",
] as const;
export const knowledgeIssueSchema = z.enum(KNOWLEDGE_ISSUES);
export type KnowledgeIssue = z.infer<typeof knowledgeIssueSchema>;

export const EVIDENCE_LEVELS = ["high", "medium", "low"] as const;
export const evidenceLevelSchema = z.enum(EVIDENCE_LEVELS);
export type EvidenceLevel = z.infer<typeof evidenceLevelSchema>;

const kebab = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Only identifiers someone checked go in; a work whose DOI or ISBN could not be confirmed carries neither. */
export const knowledgeSourceSchema = z.strictObject({
  /** "Family, I." as printed; "et al." is not an author. */
  authors: z.array(z.string().min(2)).min(1),
  /** True when `authors` lists only the first few of a longer author list. */
  etAl: z.boolean().optional(),
  year: z.number().int().min(1900).max(2100),
  title: z.string().min(3),
  kind: z.enum(["article", "book", "guideline"]),
  /** The journal of an article, the publisher of a book or the body that issued a guideline. */
  publishedIn: z.string().min(2),
  doi: z
    .string()
    .regex(/^10\.\d{4,9}\/\S+$/, "must be a bare DOI such as 10.1037/xyz")
    .optional(),
  isbn: z
    .string()
    .regex(/^(97[89]-)?[\d-]{9,15}[\dX]$/, "must be an ISBN-10 or ISBN-13")
    .optional(),
});
export type KnowledgeSource = z.infer<typeof knowledgeSourceSchema>;

export const PASSAGE_MIN_WORDS = 60;
export const PASSAGE_MAX_WORDS = 150;

export const knowledgePassageSchema = z.strictObject({
  id: z.string().regex(kebab, "must be kebab-case"),
  title: z.string().min(3).max(120),
  domain: knowledgeDomainSchema,
  text: z
    .string()
    .refine(
      (text) => countWords(text) >= PASSAGE_MIN_WORDS && countWords(text) <= PASSAGE_MAX_WORDS,
      `must be ${PASSAGE_MIN_WORDS} to ${PASSAGE_MAX_WORDS} words`,
    ),
  /** Names of the concrete things a person can do, e.g. "thought record". */
  techniques: z.array(z.string().min(3)).min(1),
  applications: z.array(knowledgeIssueSchema).min(1),
  keywords: z.array(z.string().min(2)).min(2),
  evidenceLevel: evidenceLevelSchema,
  /** How much weight the source carries: guidelines and meta-analyses near 1, single small studies lower. */
  credibility: z.number().min(0).max(1),
  source: knowledgeSourceSchema,
});
export type KnowledgePassage = z.infer<typeof knowledgePassageSchema>;

/** One corpus file: every passage of one domain. */
export const knowledgeFileSchema = z
  .strictObject({
    domain: knowledgeDomainSchema,
    title: z.string().min(3),
    description: z.string().min(10),
    passages: z.array(knowledgePassageSchema).min(1),
  })
  .superRefine((file, ctx) => {
    for (const [index, passage] of file.passages.entries()) {
      if (passage.domain !== file.domain) {
        ctx.addIssue({
          code: "custom",
          path: ["passages", index, "domain"],
          message: `is ${passage.domain} in the ${file.domain} file`,
        });
      }
    }
  });
export type KnowledgeFile = z.infer<typeof knowledgeFileSchema>;

export const MIN_CORPUS_PASSAGES = 60;
export const MIN_CORPUS_DOMAINS = 8;

/** The whole corpus: ids unique across files, one file per domain, and large enough to be worth searching. */
export const knowledgeCorpusSchema = z.array(knowledgeFileSchema).superRefine((files, ctx) => {
  const ids = new Set<string>();
  const domains = new Set<string>();
  let passages = 0;
  for (const [fileIndex, file] of files.entries()) {
    if (domains.has(file.domain)) {
      ctx.addIssue({ code: "custom", path: [fileIndex, "domain"], message: `${file.domain} appears twice` });
    }
    domains.add(file.domain);
    for (const [index, passage] of file.passages.entries()) {
      passages += 1;
      if (ids.has(passage.id)) {
        ctx.addIssue({
          code: "custom",
          path: [fileIndex, "passages", index, "id"],
          message: `duplicate id ${passage.id}`,
        });
      }
      ids.add(passage.id);
    }
  }
  if (passages < MIN_CORPUS_PASSAGES) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: `has ${passages} passages, fewer than ${MIN_CORPUS_PASSAGES}`,
    });
  }
  if (domains.size < MIN_CORPUS_DOMAINS) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: `covers ${domains.size} domains, fewer than ${MIN_CORPUS_DOMAINS}`,
    });
  }
});

/** What the API shows of a passage (the public `GET /v1/psychology/search` item). */
export const knowledgeHitSchema = z.object({
  id: z.string(),
  title: z.string(),
  domain: knowledgeDomainSchema,
  text: z.string(),
  techniques: z.array(z.string()),
  evidenceLevel: evidenceLevelSchema,
  credibility: z.number().min(0).max(1),
  source: knowledgeSourceSchema,
  /** Cosine similarity to the query, 1 = same direction. */
  score: z.number(),
});
export type KnowledgeHit = z.infer<typeof knowledgeHitSchema>;

export const KNOWLEDGE_SEARCH_MAX_LIMIT = 20;

/** `POST /v1/knowledge/search` on a node (edge-signed). */
export const knowledgeSearchRequestSchema = z.strictObject({
  query: z.string().trim().min(1).max(2000),
  domain: knowledgeDomainSchema.optional(),
  evidenceLevel: evidenceLevelSchema.optional(),
  minCredibility: z.number().min(0).max(1).optional(),
  limit: z.number().int().min(1).max(KNOWLEDGE_SEARCH_MAX_LIMIT).default(5),
});
export type KnowledgeSearchRequest = z.infer<typeof knowledgeSearchRequestSchema>;

export const knowledgeSearchResponseSchema = z.object({
  /** The embedding model the collection was built with. */
  model: z.string(),
  /** The corpus' content hash, so the edge can cache by it. */
  corpusHash: z.string(),
  items: z.array(knowledgeHitSchema),
});
export type KnowledgeSearchResponse = z.infer<typeof knowledgeSearchResponseSchema>;

/** `POST /v1/knowledge/techniques` on a node (edge-signed): what the corpus suggests for one issue. */
export const knowledgeTechniquesRequestSchema = z.strictObject({
  issue: knowledgeIssueSchema,
  domain: knowledgeDomainSchema.optional(),
  evidenceLevel: evidenceLevelSchema.optional(),
  minCredibility: z.number().min(0).max(1).optional(),
});
export type KnowledgeTechniquesRequest = z.infer<typeof knowledgeTechniquesRequestSchema>;

export const knowledgeTechniqueSchema = z.object({
  name: z.string(),
  /** The passages that describe it, best-evidenced first. */
  passages: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      domain: knowledgeDomainSchema,
      evidenceLevel: evidenceLevelSchema,
      credibility: z.number(),
    }),
  ),
});
export const knowledgeTechniquesResponseSchema = z.object({
  issue: knowledgeIssueSchema,
  techniques: z.array(knowledgeTechniqueSchema),
  /**
   * How the public route read a free-text `issue`: the text as given, the known word or phrase it
   * matched, and whether that was the issue's name, a word for it or a near spelling; for a text that
   * names no issue, `nearest` (the words it shares with the techniques of the issue chosen) or `default`
   * (nothing shared: general well-being techniques), with a `note` saying so.
   */
  matched: z
    .object({
      query: z.string(),
      term: z.string(),
      by: z.enum(["issue", "synonym", "spelling", "nearest", "default"]),
      note: z.string().optional(),
    })
    .optional(),
});
export type KnowledgeTechniquesResponse = z.infer<typeof knowledgeTechniquesResponseSchema>;

/** `POST /v1/knowledge/domains` on a node (edge-signed, empty JSON body). */
export const knowledgeDomainsResponseSchema = z.object({
  corpusHash: z.string(),
  domains: z.array(
    z.object({
      domain: knowledgeDomainSchema,
      title: z.string(),
      description: z.string(),
      passageCount: z.number().int().nonnegative(),
    }),
  ),
});
export type KnowledgeDomainsResponse = z.infer<typeof knowledgeDomainsResponseSchema>;
