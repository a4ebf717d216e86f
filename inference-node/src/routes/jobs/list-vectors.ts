import { InkwellError, type ListVectorsResult, listVectorsJobSchema } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { VectorStore } from "../../vectors/chroma-store.ts";

export interface ListVectorsRouteOptions extends Record<string, unknown> {
  vectors: VectorStore;
}

/**
 * QStash delivers a page of the edge's Postgres <-> Chroma reconciliation: which entries (and whose) the
 * shared Chroma holds vectors for, with their content versions; which of the entries Postgres names it
 * lacks; or vectors from Postgres to write back. The edge compares and decides; the node decides nothing
 * itself, since only the edge knows what is alive. A restore never replaces a newer version (`upsert`).
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
    const { restore, check } = job;
    if (restore?.items.some((item) => item.embedding.length !== restore.dims)) {
      throw new InkwellError("VALIDATION_FAILED", `Every embedding must have ${restore.dims} dimensions`);
    }
    // A Chroma failure answers 5xx, so QStash retries and then the edge tries another node.
    const restored = restore
      ? (await vectors.upsert(restore.model, restore.items))
        ? restore.items.length
        : 0
      : undefined;
    const missing = check ? await vectors.missing(check.model, check.items) : undefined;
    const page =
      job.cursor !== undefined ? await vectors.list(job.cursor, job.limit) : { items: [], next: null };
    request.log.info(
      {
        jobId: job.jobId,
        collection: job.cursor?.collection ?? null,
        entries: page.items.length,
        ...(check ? { checked: check.items.length, missing: missing?.length ?? 0 } : {}),
        ...(restore ? { restored } : {}),
      },
      "vectors listed",
    );
    return {
      jobId: job.jobId,
      indexed: true,
      ...page,
      ...(missing !== undefined ? { missing } : {}),
      ...(restored !== undefined ? { restored } : {}),
    };
  });
};
