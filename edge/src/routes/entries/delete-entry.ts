import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { deleteEntry } from "../../services/entries.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";
import { entryIdFrom, idParam } from "./common.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/entries/{id}",
  tags: ["Entries"],
  summary: "Delete an entry; its vectors leave the index",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 429) },
});

export const removeEntry = createRouter().openapi(route, async (c) => {
  const { db, redis } = c.get("services");
  const userId = c.get("auth").userId;
  const jobId = await deleteEntry(db, userId, entryIdFrom(c));
  await invalidateUserViews(redis, userId);
  inBackground(c, "dispatching the purge job", () => dispatchJob(pipelineDeps(c), jobId));
  return c.body(null, 204);
});
