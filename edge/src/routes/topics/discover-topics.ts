import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";
import { requestTopicDiscovery } from "../../services/topic-discovery.ts";

const acceptedSchema = z.object({
  jobId: z.string(),
  /**
   * False when a run was already queued or running, or when nothing changed since the last run finished:
   * that run's id is returned instead of a new run.
   */
  created: z.boolean(),
});

const route = createRoute({
  method: "post",
  path: "/v1/topics/discover",
  tags: ["Topics"],
  summary: "Discover your topics now",
  description:
    "Queues a topic discovery run over your entries on an inference node and answers 202 at once; follow " +
    "it with GET /v1/jobs/{jobId}. Runs also start by themselves after enough new entries and once a day. " +
    "While a run is queued or running, asking again returns that run; so does asking when no entry was " +
    "analysed or deleted since the last run finished.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  responses: {
    202: { description: "Accepted", content: { "application/json": { schema: acceptedSchema } } },
    ...problemResponses(401, 403, 429),
  },
});

export const postTopicDiscovery = createRouter().openapi(route, async (c) => {
  const deps = pipelineDeps(c);
  const queued = await requestTopicDiscovery(deps, c.get("auth").userId);
  if (queued.created) inBackground(c, "dispatching topic discovery", () => dispatchJob(deps, queued.jobId));
  return c.json(queued, 202);
});
