import { createRoute } from "@hono/zod-openapi";
import { reanalyzeResponseSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { requestReanalysis } from "../../services/entries.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";
import { entryIdFrom, idParam } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/entries/{id}/reanalyze",
  tags: ["Entries"],
  summary: "Analyse an entry's current text again",
  description:
    "Queues a fresh analysis of the entry's current title and content on an inference node, the same job " +
    "an edit queues, and answers 202 at once; follow it with GET /v1/jobs/{jobId}. The entry's analysis " +
    "goes back to pending until the result lands. While its analysis is already pending, that job is " +
    "answered with `created: false` and nothing new is queued.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: { params: idParam },
  responses: {
    202: { description: "Accepted", content: { "application/json": { schema: reanalyzeResponseSchema } } },
    ...problemResponses(401, 403, 404, 409, 429),
  },
});

export const postEntryReanalysis = createRouter().openapi(route, async (c) => {
  const userId = c.get("auth").userId;
  const queued = await requestReanalysis(c.get("services").db, userId, entryIdFrom(c));
  if (queued.created) {
    await invalidateUserViews(c.get("services").redis, userId);
    inBackground(c, "dispatching the analysis job", () => dispatchJob(pipelineDeps(c), queued.jobId));
  }
  return c.json(queued, 202);
});
