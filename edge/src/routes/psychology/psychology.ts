import { createRoute, z } from "@hono/zod-openapi";
import {
  EVIDENCE_LEVELS,
  KNOWLEDGE_DOMAINS,
  KNOWLEDGE_ISSUES,
  KNOWLEDGE_SEARCH_MAX_LIMIT,
  knowledgeDomainsResponseSchema,
  knowledgeSearchResponseSchema,
  knowledgeTechniquesResponseSchema,
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
  summary: "The knowledge base's domains and how many passages each holds",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  responses: {
    200: {
      description: "Domains",
      content: { "application/json": { schema: knowledgeDomainsResponseSchema } },
    },
    ...problemResponses(401, 403, 429, 502, 503, 504),
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
  summary: "Techniques the knowledge base describes for an issue (e.g. rumination, anxiety)",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  request: {
    query: z.object({
      issue: z.enum(KNOWLEDGE_ISSUES, { error: `issue must be one of ${KNOWLEDGE_ISSUES.join(", ")}` }),
      ...filters,
    }),
  },
  responses: {
    200: {
      description: "Techniques",
      content: { "application/json": { schema: knowledgeTechniquesResponseSchema } },
    },
    ...problemResponses(400, 401, 403, 429, 502, 503, 504),
  },
});

/** The knowledge base lives on the nodes (embedded there); the edge forwards signed, filtered queries. */
export const psychologyRoutes = createRouter()
  .openapi(domainsRoute, async (c) => {
    const { data } = await callNode(deps(c), {
      path: "/v1/knowledge/domains",
      body: {},
      schema: knowledgeDomainsResponseSchema,
      tasks: ["embedding"],
    });
    return c.json(data, 200);
  })
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
  .openapi(techniquesRoute, async (c) => {
    const { data } = await callNode(deps(c), {
      path: "/v1/knowledge/techniques",
      body: c.req.valid("query"),
      schema: knowledgeTechniquesResponseSchema,
      tasks: ["embedding"],
    });
    return c.json(data, 200);
  });
