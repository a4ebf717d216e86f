import {
  InkwellError,
  type KnowledgeDomainsResponse,
  type KnowledgeSearchResponse,
  type KnowledgeTechniquesResponse,
  knowledgeSearchRequestSchema,
  knowledgeTechniquesRequestSchema,
} from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import type { z } from "zod";
import { edgeVerify } from "../plugins/edge-verify.ts";
import { zodFieldErrors } from "../plugins/error-handler.ts";
import { techniquesForIssue } from "./corpus.ts";
import type { KnowledgeService } from "./knowledge-service.ts";

export interface KnowledgeRoutesOptions extends Record<string, unknown> {
  nodeToken: string | undefined;
  knowledge: KnowledgeService;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new InkwellError("VALIDATION_FAILED", "The request body is not valid", {
      errors: zodFieldErrors(parsed.error),
    });
  }
  return parsed.data;
}

/**
 * The psychology knowledge base, for the edge's `/v1/psychology/*` routes. Edge-signed like `/v1/embed`; the
 * edge verifier demands a JSON body, so even the listing is a POST (with `{}`).
 */
export const knowledgeRoutes: FastifyPluginAsync<KnowledgeRoutesOptions> = async (
  fastify,
  { nodeToken, knowledge },
) => {
  await fastify.register(edgeVerify, { nodeToken });

  fastify.post("/v1/knowledge/search", async (request): Promise<KnowledgeSearchResponse> => {
    const body = parse(knowledgeSearchRequestSchema, request.body);
    const result = await knowledge.search(body);
    // The query can be as personal as a journal line: log its size, never its text.
    request.log.info(
      { chars: body.query.length, hits: result.items.length, index: result.index },
      "knowledge searched",
    );
    return { model: result.model, corpusHash: knowledge.corpus.hash, items: result.items };
  });

  fastify.post("/v1/knowledge/techniques", async (request): Promise<KnowledgeTechniquesResponse> => {
    return techniquesForIssue(knowledge.corpus, parse(knowledgeTechniquesRequestSchema, request.body));
  });

  fastify.post("/v1/knowledge/domains", async (): Promise<KnowledgeDomainsResponse> => knowledge.domains());
};
