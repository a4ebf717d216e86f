import {
  type AnalyzeEntryJob,
  type AnalyzeEntryResult,
  analyzeEntryJobSchema,
  InkwellError,
} from "@inkwell/shared";
import type { FastifyBaseLogger, FastifyPluginAsync } from "fastify";
import { analyzeEntry } from "../../analysis/entry-analysis.ts";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { InferenceRuntime } from "../../runtime/runtime.ts";
import type { VectorStore } from "../../vectors/chroma-store.ts";

export interface AnalyzeEntryRouteOptions extends Record<string, unknown> {
  runtime: InferenceRuntime;
  /** Where the entry's vector is upserted; without one the result says `indexed: false`. */
  vectors?: VectorStore;
}

/** QStash delivers an entry; the answer (embedding, sentiment, emotions, keywords, safety) goes back via the callback. */
export const analyzeEntryRoute: FastifyPluginAsync<AnalyzeEntryRouteOptions> = async (
  fastify,
  { runtime, vectors },
) => {
  fastify.post("/jobs/analyze-entry", async (request) => {
    const parsed = analyzeEntryJobSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The job body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const started = performance.now();
    const analysis = await analyzeEntry(runtime, parsed.data);
    const result = { ...analysis, indexed: await indexVector(vectors, parsed.data, analysis, request.log) };
    // Ids, sizes and outcomes only: an entry's text and what it says about its writer stay out of logs.
    request.log.info(
      {
        jobId: result.jobId,
        entryId: result.entryId,
        chars: parsed.data.content.length,
        safety: result.safety.level,
        indexed: result.indexed,
        ms: Math.round(performance.now() - started),
      },
      "entry analysed",
    );
    return result;
  });
};

/**
 * Upserts the entry's vector into Chroma. Postgres (on the edge) keeps the vector whatever happens here,
 * so a Chroma failure is logged and reported as not indexed rather than failing the analysis; the edge
 * sends such vectors back through a reindex.
 */
async function indexVector(
  vectors: VectorStore | undefined,
  job: AnalyzeEntryJob,
  result: AnalyzeEntryResult,
  log: FastifyBaseLogger,
): Promise<boolean> {
  if (!vectors?.enabled) return false;
  try {
    return await vectors.upsert(result.model, [
      {
        entryId: job.entryId,
        userId: job.userId,
        occurredAt: job.occurredAt ?? new Date().toISOString(),
        embedding: result.embedding,
      },
    ]);
  } catch (error) {
    log.warn({ jobId: job.jobId, err: (error as Error).message }, "could not upsert the vector into Chroma");
    return false;
  }
}
