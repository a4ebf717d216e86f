import { createRoute, z } from "@hono/zod-openapi";
import { createReflectionRequestSchema, InkwellError } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { pipelineDeps } from "../../services/pipeline-context.ts";
import {
  reflectionWriter,
  requestReflection,
  startReflectionJob,
} from "../../services/reflection-requests.ts";

const acceptedSchema = z.object({
  jobId: z.string(),
  reflectionId: z.string(),
  status: z.literal("pending"),
});

const route = createRoute({
  method: "post",
  path: "/v1/insights/reflections",
  tags: ["Insights"],
  summary: "Ask for a reflection on this week or month (or the one containing `at`)",
  description:
    "Answers 202 at once; follow the job (GET /v1/jobs/{jobId}) or the reflection. When an inference node " +
    "serves a language model, it writes the reflection (`generated: true`, citing the period's entries); " +
    "otherwise, or when writing fails for good, the edge computes a structured one (`generated: false`). " +
    "Asking again for the same period recomputes it on the same reflection.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  request: {
    body: { required: true, content: { "application/json": { schema: createReflectionRequestSchema } } },
  },
  responses: {
    202: { description: "Accepted", content: { "application/json": { schema: acceptedSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 429),
  },
});

export const postReflection = createRouter().openapi(route, async (c) => {
  const deps = pipelineDeps(c);
  const body = c.req.valid("json");
  const now = new Date();
  const at = body.at ? new Date(body.at) : now;
  if (at.getTime() > now.getTime() + 86_400_000) {
    throw new InkwellError("VALIDATION_FAILED", "A reflection needs a period that has begun.", {
      errors: [{ path: "at", message: "must not be in the future" }],
    });
  }
  const writer = await reflectionWriter(deps);
  const { reflectionId, jobId, inFlight } = await requestReflection(
    deps.db,
    c.get("auth").userId,
    body.period,
    at,
    writer,
  );
  // After the answer: the hand-off to a node (the sweep retries a dispatch that never happens), or the
  // edge's structured reflection. A request that joined a job in flight starts nothing.
  if (!inFlight)
    c.executionCtx.waitUntil(
      startReflectionJob(deps, jobId).catch((err: unknown) => {
        // A node's job is retried by the sweep; a lost edge job is recomputed by the next hourly cron run
        // (or a repeated request). The class only, never values.
        console.error(
          JSON.stringify({
            level: "error",
            msg: "reflection job failed",
            jobId,
            error: err instanceof Error ? err.name : "unknown",
          }),
        );
      }),
    );
  c.header("Location", `/v1/insights/reflections/${reflectionId}`);
  return c.json({ jobId, reflectionId, status: "pending" as const }, 202);
});
