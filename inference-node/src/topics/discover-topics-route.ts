import { type DiscoverTopicsResult, discoverTopicsJobSchema, InkwellError } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { zodFieldErrors } from "../plugins/error-handler.ts";
import type { InferenceRuntime } from "../runtime/runtime.ts";
import { discoverTopicsInBackground } from "./discover-topics.ts";

export interface DiscoverTopicsRouteOptions extends Record<string, unknown> {
  runtime: InferenceRuntime;
}

/** Topic discovery for one writer, delivered by QStash; register it inside the signed `/jobs` context. */
export const discoverTopicsRoute: FastifyPluginAsync<DiscoverTopicsRouteOptions> = async (
  fastify,
  { runtime },
) => {
  // A whole journal with its vectors is far bigger than one entry; the app-wide 1 MiB limit suits the rest.
  fastify.post("/jobs/discover-topics", { bodyLimit: 16 * 1024 * 1024 }, async (request) => {
    const parsed = discoverTopicsJobSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The job body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const job = parsed.data;
    const started = performance.now();
    const nodeModel = runtime.models.find((model) => model.task === "embedding")?.id;
    if (!nodeModel) throw new InkwellError("INTERNAL", "This node serves no embedding model");
    // Vectors of another model cannot be clustered with this node's, so then every entry is re-embedded.
    const reuse = job.model === nodeModel;
    const missing = job.entries.filter((entry) => !reuse || !entry.embedding);
    const embedded = missing.length > 0 ? await runtime.embed(missing.map((entry) => entry.text)) : undefined;
    const fresh = new Map(missing.map((entry, i) => [entry.id, embedded?.vectors[i]]));
    const entries = job.entries.map((entry) => ({
      id: entry.id,
      text: entry.text,
      embedding: fresh.get(entry.id) ?? entry.embedding ?? [],
    }));
    const dims = entries[0]?.embedding.length ?? 0;
    if (entries.some((entry) => entry.embedding.length !== dims)) {
      throw new InkwellError("VALIDATION_FAILED", "Every embedding must have the same number of dimensions");
    }
    const topics = await discoverTopicsInBackground({ entries, previous: job.previous });
    const kept = new Set(topics.map((topic) => topic.id));
    const result: DiscoverTopicsResult = {
      jobId: job.jobId,
      userId: job.userId,
      model: nodeModel,
      topics,
      retiredIds: job.previous.map((topic) => topic.id).filter((id) => !kept.has(id)),
    };
    // Counts and timings only: labels are words from the writer's entries and stay out of logs.
    request.log.info(
      {
        jobId: job.jobId,
        entries: entries.length,
        embedded: missing.length,
        topics: topics.length,
        ms: Math.round(performance.now() - started),
      },
      "topics discovered",
    );
    return result;
  });
};
