import {
  InkwellError,
  keepAllowedCitations,
  type WriteReflectionJob,
  type WriteReflectionResult,
  writeReflectionJobSchema,
} from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import type { FinishReason } from "../../llm/backend.ts";
import { buildReflectionPrompt, endAtSentence, normaliseMarkers } from "../../llm/reflection-prompt.ts";
import type { LlmRuntime } from "../../llm/select-backend.ts";
import { zodFieldErrors } from "../../plugins/error-handler.ts";

export interface WriteReflectionRouteOptions extends Record<string, unknown> {
  /** The node's chat model; without one the job answers 503 and the edge stores the structured reflection. */
  llm?: LlmRuntime | undefined;
}

/** Inside the edge's per-delivery timeout (WRITE_REFLECTION_TIMEOUT_SECONDS), with room to answer. */
const DEADLINE_MS = 100_000;
const MAX_TEXT_CHARS = 8_000;

const unavailable = (detail: string) => new InkwellError("SERVICE_UNAVAILABLE", detail);

/**
 * QStash delivers a period's figures, themes and entry excerpts; the node's language model writes the
 * reflection from them, quoted as data. Citations are kept only for entries the job carried (and the
 * prompt showed). Failures answer 503 — never a gateway status, which the edge would read as the node
 * being unreachable — so QStash retries, then the edge tries another node and finally stores the
 * structured reflection instead.
 */
export const writeReflectionRoute: FastifyPluginAsync<WriteReflectionRouteOptions> = async (
  fastify,
  { llm },
) => {
  fastify.post("/jobs/write-reflection", async (request): Promise<WriteReflectionResult> => {
    const parsed = writeReflectionJobSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The job body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const job: WriteReflectionJob = parsed.data;
    const backend = llm?.backend;
    if (!llm || !backend) throw unavailable("This node has no LLM backend (LLM_BACKEND resolved to none)");
    const started = performance.now();
    const description = backend.describe();
    const prompt = buildReflectionPrompt(job, description.contextSize);

    const abort = new AbortController();
    let timedOut = false;
    const deadline = setTimeout(
      () => {
        timedOut = true;
        abort.abort(new Error("deadline"));
      },
      Math.min(llm.timeoutMs, DEADLINE_MS),
    );
    deadline.unref();
    let raw = "";
    let pieces = 0;
    let finish = "stop" as FinishReason;
    let failed = false;
    try {
      for await (const piece of backend.generate(
        {
          system: prompt.system,
          messages: [{ role: "user", content: prompt.user }],
          maxTokens: prompt.maxTokens,
          temperature: 0.6,
          signal: abort.signal,
        },
        (reason) => {
          finish = reason;
        },
      )) {
        raw += piece;
        pieces += 1;
        if (raw.length > MAX_TEXT_CHARS) break;
      }
    } catch (error) {
      failed = true;
      // The message only: backend errors name the model or the server, never the prompt.
      request.log.warn({ jobId: job.jobId, err: (error as Error).message }, "reflection generation failed");
    } finally {
      clearTimeout(deadline);
    }
    const finishReason = timedOut ? "timeout" : finish === "length" ? "length" : "stop";
    const allowed = new Set(job.entries.map((e) => e.id).filter((id) => prompt.shownIds.has(id)));
    let text = normaliseMarkers(raw.slice(0, MAX_TEXT_CHARS));
    if (finishReason !== "stop") text = endAtSentence(text);
    const kept = keepAllowedCitations(text, allowed);
    // Sizes, counts and timings only: neither the entries nor the reflection is logged.
    request.log.info(
      {
        jobId: job.jobId,
        backend: description.id,
        entries: job.entries.length,
        shown: prompt.shownIds.size,
        pieces,
        chars: kept.text.length,
        citations: kept.citations.length,
        finishReason,
        ms: Math.round(performance.now() - started),
      },
      "reflection written",
    );
    if (failed) throw unavailable("The language model failed while writing the reflection");
    if (kept.text.length === 0) throw unavailable("The language model wrote nothing usable");
    return {
      jobId: job.jobId,
      reflectionId: job.reflectionId,
      text: kept.text,
      citations: kept.citations,
      model: `${description.id}:${description.model}`,
      finishReason,
    };
  });
};
