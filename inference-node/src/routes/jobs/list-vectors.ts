import { InkwellError, type ListVectorsResult, listVectorsJobSchema } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { VectorStore } from "../../vectors/chroma-store.ts";

export interface ListVectorsRouteOptions extends Record<string, unknown> {
  vectors: VectorStore;
}

/**
 * QStash delivers a page request of the edge's reconciliation: which entries (and whose) the shared Chroma
 * holds vectors for, with their content versions. The edge compares them with Postgres and purges what
 * has no live entry behind it; the node decides nothing itself, since only the edge knows what is alive.
 */
export const listVectorsRoute: FastifyPluginAsync<ListVectorsRouteOptions> = async (fastify, { vectors }) => {
  fastify.post("/jobs/list-vectors", async (request): Promise<ListVectorsResult> => {
    const parsed = listVectorsJobSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The job body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const job = parsed.data;
    if (!vectors.enabled) return { jobId: job.jobId, indexed: false, items: [], next: null };
    // A Chroma failure answers 5xx, so QStash retries and then the edge tries another node.
    const page = await vectors.list(job.cursor, job.limit);
    request.log.info(
      { jobId: job.jobId, collection: job.cursor?.collection ?? null, entries: page.items.length },
      "vectors listed",
    );
    return { jobId: job.jobId, indexed: true, ...page };
  });
};
