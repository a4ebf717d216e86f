import { analyzeEntryJobSchema, InkwellError } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { analyzeEntry } from "../../analysis/entry-analysis.ts";
import { zodFieldErrors } from "../../plugins/error-handler.ts";
import type { InferenceRuntime } from "../../runtime/runtime.ts";

export interface AnalyzeEntryRouteOptions extends Record<string, unknown> {
  runtime: InferenceRuntime;
}

/** QStash delivers an entry; the answer (embedding, sentiment, emotions, keywords, safety) goes back via the callback. */
export const analyzeEntryRoute: FastifyPluginAsync<AnalyzeEntryRouteOptions> = async (
  fastify,
  { runtime },
) => {
  fastify.post("/jobs/analyze-entry", async (request) => {
    const parsed = analyzeEntryJobSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The job body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const started = performance.now();
    const result = await analyzeEntry(runtime, parsed.data);
    // Ids, sizes and outcomes only: an entry's text and what it says about its writer stay out of logs.
    request.log.info(
      {
        jobId: result.jobId,
        entryId: result.entryId,
        chars: parsed.data.content.length,
        safety: result.safety.level,
        ms: Math.round(performance.now() - started),
      },
      "entry analysed",
    );
    return result;
  });
};
