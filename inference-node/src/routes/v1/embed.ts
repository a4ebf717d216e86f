import { type EmbedResponse, embedRequestSchema, InkwellError } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { InferenceRuntime } from "../../runtime/runtime.ts";
import { setTimingHeaders } from "../timing.ts";

export interface EmbedRouteOptions extends Record<string, unknown> {
  runtime: InferenceRuntime;
}

/** Query embeddings for the edge's search: batched with every other caller's texts. */
export const embedRoute: FastifyPluginAsync<EmbedRouteOptions> = async (fastify, { runtime }) => {
  fastify.post("/v1/embed", async (request, reply): Promise<EmbedResponse> => {
    const parsed = embedRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The request body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const result = await runtime.embed(parsed.data.texts);
    setTimingHeaders(reply, result.timing);
    return { model: result.model, dims: result.dims, embeddings: result.vectors.map((v) => Array.from(v)) };
  });
};
