import {
  type AnalyzeEntryJob,
  type AnalyzeEntryResult,
  analyzeEntryJobSchema,
  entryChunks,
  InkwellError,
} from "@inkwell/shared";
import type { FastifyBaseLogger, FastifyPluginAsync } from "fastify";
import { analyzeEntry } from "../../analysis/entry-analysis.ts";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { InferenceRuntime } from "../../runtime/runtime.ts";
import type { VectorStore } from "../../vectors/chroma-store.ts";
import { embedChunkTexts } from "../../vectors/entry-chunks.ts";

export interface AnalyzeEntryRouteOptions extends Record<string, unknown> {
  runtime: InferenceRuntime;
  /**
   * Where the entry's vector and its sentence windows are written; without one the windows are not
   * embedded at all and the result says `indexed: false`.
   */
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
    // Only the index keeps the windows (Postgres on the edge stores the whole vector), so without one they
    // are not worth a model call.
    const chunkTexts = vectors?.enabled ? entryChunks(parsed.data) : [];
    const [analysis, chunkEmbeddings] = await Promise.all([
      analyzeEntry(runtime, parsed.data),
      // The windows only serve search: their failure (a full queue on a long entry) must never hold back the
      // analysis and its safety level. The entry is then reported as not indexed, and the edge restores its
      // whole vector from Postgres within minutes (the windows come back when it is analysed again).
      embedChunkTexts(runtime, chunkTexts).catch((error: unknown) => {
        request.log.warn({ err: (error as Error).message }, "could not embed the entry's sentence windows");
        return null;
      }),
    ]);
    const indexed = await indexVectors(vectors, parsed.data, analysis, chunkEmbeddings, request.log);
    const result = { ...analysis, indexed };
    // Ids, sizes and outcomes only: an entry's text and what it says about its writer stay out of logs.
    request.log.info(
      {
        jobId: result.jobId,
        entryId: result.entryId,
        chars: parsed.data.content.length,
        safety: result.safety.level,
        chunks: chunkEmbeddings?.length ?? null,
        indexed: result.indexed,
        ms: Math.round(performance.now() - started),
      },
      "entry analysed",
    );
    return result;
  });
};

/**
 * Upserts the entry's vector and replaces its sentence windows in Chroma. Postgres (on the edge) keeps the
 * vector whatever happens here, so a Chroma failure is logged and reported as not indexed rather than
 * failing the analysis; the edge's minute cron sends such vectors back from Postgres (a restore page).
 */
async function indexVectors(
  vectors: VectorStore | undefined,
  job: AnalyzeEntryJob,
  result: AnalyzeEntryResult,
  chunkEmbeddings: number[][] | null,
  log: FastifyBaseLogger,
): Promise<boolean> {
  if (!vectors?.enabled) return false;
  const entry = {
    entryId: job.entryId,
    userId: job.userId,
    occurredAt: job.occurredAt ?? new Date().toISOString(),
    // Kept beside the vector and its windows: a delivery of an older text that lands late is refused.
    contentVersion: job.contentVersion,
  };
  try {
    const whole = await vectors.upsert(result.model, [{ ...entry, embedding: result.embedding }]);
    // After the whole vector, so a window found by search always has an entry to score; replaced even when
    // there are none now, so an entry edited down to one sentence keeps no windows of its longer past.
    if (chunkEmbeddings === null) return false;
    const windows = await vectors.replaceChunks(result.model, { ...entry, embeddings: chunkEmbeddings });
    return whole && windows;
  } catch (error) {
    log.warn({ jobId: job.jobId, err: (error as Error).message }, "could not write the vectors into Chroma");
    return false;
  }
}
