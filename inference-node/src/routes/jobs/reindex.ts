import { InkwellError, type ReindexResult, reindexJobSchema } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { VectorStore } from "../../vectors/chroma-store.ts";

export interface ReindexRouteOptions extends Record<string, unknown> {
  vectors: VectorStore;
}

/** QStash delivers a page of vectors from Postgres: a new or wiped Chroma is rebuilt without re-embedding. */
export const reindexRoute: FastifyPluginAsync<ReindexRouteOptions> = async (fastify, { vectors }) => {
  fastify.post("/jobs/reindex", async (request): Promise<ReindexResult> => {
    const parsed = reindexJobSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The job body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const job = parsed.data;
    if (job.items.some((item) => item.embedding.length !== job.dims)) {
      throw new InkwellError("VALIDATION_FAILED", `Every embedding must have ${job.dims} dimensions`);
    }
    const indexed = await vectors.upsert(job.model, job.items);
    request.log.info(
      { jobId: job.jobId, model: job.model, upserted: job.items.length, indexed },
      "vectors reindexed",
    );
    return { jobId: job.jobId, upserted: indexed ? job.items.length : 0, indexed };
  });
};
