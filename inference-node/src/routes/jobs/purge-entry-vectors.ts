import { InkwellError, type PurgeVectorsResult, purgeVectorsJobSchema } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { VectorStore } from "../../vectors/chroma-store.ts";

export interface PurgeVectorsRouteOptions extends Record<string, unknown> {
  vectors: VectorStore;
}

/** QStash delivers a deleted entry (or a deleted user): its vectors leave the index. */
export const purgeEntryVectorsRoute: FastifyPluginAsync<PurgeVectorsRouteOptions> = async (
  fastify,
  { vectors },
) => {
  fastify.post("/jobs/purge-entry-vectors", async (request): Promise<PurgeVectorsResult> => {
    const parsed = purgeVectorsJobSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The job body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const job = parsed.data;
    // A failure here answers 5xx, so QStash retries: a vector of a deleted entry must not stay findable.
    // With the writer named, only their collections are touched; an older edge names none for entries.
    const purged =
      job.entryIds.length > 0
        ? await vectors.deleteEntries(job.entryIds, job.userId)
        : job.userId
          ? await vectors.deleteUser(job.userId)
          : true;
    request.log.info(
      {
        jobId: job.jobId,
        entries: job.entryIds.length,
        byUser: job.entryIds.length === 0,
        writerNamed: job.userId !== undefined,
        purged,
      },
      "vectors purged",
    );
    return { jobId: job.jobId, purged };
  });
};
