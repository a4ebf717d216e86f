import { createRoute, z } from "@hono/zod-openapi";
import {
  catalogDomains,
  EVIDENCE_LEVELS,
  KNOWLEDGE_DOMAINS,
  KNOWLEDGE_ISSUES,
  KNOWLEDGE_SEARCH_MAX_LIMIT,
  knowledgeCatalog,
  knowledgeDomainsResponseSchema,
  knowledgeSearchResponseSchema,
  knowledgeTechniquesResponseSchema,
  matchKnowledgeIssue,
  nearestKnowledgeIssue,
  rankTechniques,
} from "@inkwell/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { callNode } from "../../lib/node-client.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";

function deps(c: Context<AppEnv>) {
  const { db, config } = c.get("services");
  return { db, config, requestId: c.get("requestId") };
}

const filters = {
  domain: z.enum(KNOWLEDGE_DOMAINS).optional(),
  evidenceLevel: z.enum(EVIDENCE_LEVELS).optional(),
  minCredibility: z.coerce.number().min(0).max(1).optional(),
};

const domainsRoute = createRoute({
  method: "get",
  path: "/v1/psychology/domains",
  tags: ["Psychology knowledge base"],
  summary:
    "The knowledge base's domains and how many passages each holds (answered by the edge, no node needed)",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  responses: {
    200: {
      description: "Domains",
      content: { "application/json": { schema: knowledgeDomainsResponseSchema } },
    },
    ...problemResponses(401, 403, 429),
  },
});

const searchRoute = createRoute({
  method: "get",
  path: "/v1/psychology/search",
  tags: ["Psychology knowledge base"],
  summary: "Passages by meaning, with domain, evidence level and credibility filters; each cites its source",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  request: {
    query: z.object({
      q: z.string({ error: "q is required" }).trim().min(1, { error: "q cannot be empty" }).max(2000),
      limit: z.coerce.number().int().min(1).max(KNOWLEDGE_SEARCH_MAX_LIMIT).default(5),
      ...filters,
    }),
  },
  responses: {
    200: {
      description: "Passages, best first",
      content: { "application/json": { schema: knowledgeSearchResponseSchema } },
    },
    ...problemResponses(400, 401, 403, 429, 502, 503, 504),
  },
});

const techniquesRoute = createRoute({
  method: "get",
  path: "/v1/psychology/techniques",
  tags: ["Psychology knowledge base"],
  summary:
    "Techniques the knowledge base describes for an issue (e.g. rumination, anxiety, or in your own words)",
  description: `\`issue\` is free text, matched to the closest known issue (${KNOWLEDGE_ISSUES.join(", ")}): by name, by a word for it ("overthinking" → rumination, "can't sleep" → insomnia) or by a near spelling; \`issue\` and \`matched\` in the answer say which. A text that names no issue is never refused: it gets the issue whose passages' titles and techniques share the most of its words (\`matched.by: "nearest"\`, ties to the issue listed first), or, sharing none, general well-being techniques (\`matched.by: "default"\`), with \`matched.note\` saying so. Answered by the edge, no node needed.`,
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  request: {
    query: z.object({
      issue: z
        .string({ error: "issue is required" })
        .trim()
        .min(1, { error: "issue cannot be empty" })
        .max(200, { error: "issue is at most 200 characters" }),
      ...filters,
    }),
  },
  responses: {
    200: {
      description: "Techniques",
      content: { "application/json": { schema: knowledgeTechniquesResponseSchema } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

/**
 * Search needs the knowledge base's embeddings, which live on the nodes: the edge forwards signed,
 * filtered queries. Domains and techniques are static data, answered from the catalog in shared.
 */
export const psychologyRoutes = createRouter()
  .openapi(domainsRoute, (c) => c.json(catalogDomains(), 200))
  .openapi(searchRoute, async (c) => {
    const { q, ...rest } = c.req.valid("query");
    const { data } = await callNode(deps(c), {
      path: "/v1/knowledge/search",
      body: { query: q, ...rest },
      schema: knowledgeSearchResponseSchema,
      tasks: ["embedding"],
    });
    return c.json(data, 200);
  })
  .openapi(techniquesRoute, (c) => {
    const { issue: query, ...rest } = c.req.valid("query");
    const passages = knowledgeCatalog().passages;
    const match = matchKnowledgeIssue(query) ?? nearestKnowledgeIssue(query, passages);
    const answer = rankTechniques(passages, { issue: match.issue, ...rest });
    const note =
      match.by === "nearest"
        ? `No issue is named in the text; ${match.issue} is the closest by the words its techniques share with it (${match.term}). Known issues: ${KNOWLEDGE_ISSUES.join(", ")}.`
        : match.by === "default"
          ? `No issue is named in the text and none is close, so these are general well-being techniques. Known issues: ${KNOWLEDGE_ISSUES.join(", ")}.`
          : undefined;
    return c.json(
      { ...answer, matched: { query, term: match.term, by: match.by, ...(note ? { note } : {}) } },
      200,
    );
  });
