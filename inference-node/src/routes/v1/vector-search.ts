import { InkwellError, type VectorSearchResponse, vectorSearchRequestSchema } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { VectorSearch } from "../../vectors/vector-search.ts";

export interface VectorSearchRouteOptions extends Record<string, unknown> {
  vectors: VectorSearch;
}

/** Semantic search and related entries for the edge: the query vector comes in, ranked entry ids go out. */
export const vectorSearchRoute: FastifyPluginAsync<VectorSearchRouteOptions> = async (
  fastify,
  { vectors },
) => {
  fastify.post("/v1/vectors/search", async (request): Promise<VectorSearchResponse> => {
    const parsed = vectorSearchRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The request body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    if (!vectors.enabled) {
      throw new InkwellError("SERVICE_UNAVAILABLE", "This node has no vector store (CHROMA_URL is not set).");
    }
    try {
      return await vectors.search(parsed.data);
    } catch (err) {
      request.log.warn({ error: err instanceof Error ? err.name : "unknown" }, "vector search failed");
      throw new InkwellError("UPSTREAM_UNAVAILABLE", "The vector store did not answer.");
    }
  });
};
