import { createRoute } from "@hono/zod-openapi";
import { InkwellError, updateEntryRequestSchema } from "@inkwell/shared";
import { etagOf, failsIfMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { updateEntry } from "../../services/entries.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";
import { entryIdFrom, entryJson, idParam, withEtag } from "./common.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/entries/{id}",
  tags: ["Entries"],
  summary: "Change an entry; changed text is analysed again (If-Match guards against lost updates)",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: {
    params: idParam,
    body: { required: true, content: { "application/json": { schema: updateEntryRequestSchema } } },
  },
  responses: {
    200: { description: "The changed entry", content: { "application/json": { schema: entryJson } } },
    ...problemResponses(400, 401, 403, 404, 412, 413, 415, 429),
  },
});

export const patchEntry = createRouter().openapi(route, async (c) => {
  const { db, redis, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const id = entryIdFrom(c);
  const entry = await updateEntry(db, dataKeys, userId, id, c.req.valid("json"), async (current) => {
    if (failsIfMatch(c, await etagOf(current))) {
      throw new InkwellError(
        "PRECONDITION_FAILED",
        "The entry changed since you read it; read it again and retry.",
      );
    }
  });
  await invalidateUserViews(redis, userId);
  const { jobId } = entry;
  if (jobId) inBackground(c, "dispatching the analysis job", () => dispatchJob(pipelineDeps(c), jobId));
  await withEtag(c, entry);
  return c.json(entry, 200);
});
