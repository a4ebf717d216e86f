import { createRoute, z } from "@hono/zod-openapi";
import { InkwellError } from "@inkwell/shared";
import { log } from "../../lib/log.ts";
import { createRouter } from "../../lib/openapi.ts";
import { zodIssues } from "../../lib/problem.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { verifyQStashSignature } from "../../middleware/qstash-signature.ts";
import { CALLBACK_PATH, FAILURE_PATH } from "../../services/job-dispatch.ts";
import {
  handleFailureCallback,
  handleSuccessCallback,
  type QStashCallback,
  qstashCallbackSchema,
} from "../../services/job-results.ts";
import { pipelineDeps } from "../../services/pipeline-context.ts";

const outcomeSchema = z.object({ outcome: z.string(), jobId: z.string().optional() });

const callbackRoute = (path: string, summary: string) =>
  createRoute({
    method: "post",
    path,
    tags: ["Internal"],
    summary,
    description:
      "Called by QStash only: `Upstash-Signature` is verified over the raw body before it is parsed. " +
      "The body is QStash's callback payload; its `body` is the node's answer in base64.",
    middleware: [verifyQStashSignature],
    responses: {
      200: {
        description: "Handled (including duplicates and stale results)",
        content: { "application/json": { schema: outcomeSchema } },
      },
      ...problemResponses(400, 401),
    },
  });

function parseCallback(raw: string): QStashCallback {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InkwellError("VALIDATION_FAILED", "The callback body is not JSON.");
  }
  const parsed = qstashCallbackSchema.safeParse(json);
  if (!parsed.success) {
    throw new InkwellError("VALIDATION_FAILED", "The callback body did not match the schema.", {
      errors: zodIssues(parsed.error),
    });
  }
  return parsed.data;
}

export const postQStashCallback = createRouter().openapi(
  callbackRoute(CALLBACK_PATH, "QStash delivers a node's answer to a job"),
  async (c) => {
    const callback = parseCallback(c.get("qstashBody"));
    const result = await handleSuccessCallback(pipelineDeps(c), callback);
    if (result.userId) await invalidateUserViews(c.get("services").redis, result.userId);
    log.info("job result", { requestId: c.get("requestId"), jobId: result.jobId, outcome: result.outcome });
    return c.json({ outcome: result.outcome, ...(result.jobId ? { jobId: result.jobId } : {}) }, 200);
  },
);

export const postQStashFailure = createRouter().openapi(
  callbackRoute(FAILURE_PATH, "QStash reports that it gave up delivering a job to a node"),
  async (c) => {
    const callback = parseCallback(c.get("qstashBody"));
    const result = await handleFailureCallback(pipelineDeps(c), callback);
    if (result.userId) await invalidateUserViews(c.get("services").redis, result.userId);
    log.info("job attempt failed", {
      requestId: c.get("requestId"),
      jobId: result.jobId,
      outcome: result.outcome,
    });
    return c.json({ outcome: result.outcome, ...(result.jobId ? { jobId: result.jobId } : {}) }, 200);
  },
);
