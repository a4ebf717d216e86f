import { createRoute } from "@hono/zod-openapi";
import { type Entry, InkwellError } from "@inkwell/shared";
import { etagOf, failsIfMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { updateEntry } from "../../services/entries.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";
import { entryIdFrom, entryJson, versionParams, withEtag } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/entries/{id}/versions/{version}/restore",
  tags: ["Entries"],
  summary: "Bring back an earlier version's title and content, as a new version analysed again",
  description:
    "A restore is an edit: the entry gets the version's title and content as its next version " +
    "(`restoredFrom` names the source), its analysis goes back to pending and `jobId` follows it. " +
    "Mood, tags, topics, date and favourite stay as they are. If-Match guards against lost updates.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: { params: versionParams },
  responses: {
    200: { description: "The entry as restored", content: { "application/json": { schema: entryJson } } },
    ...problemResponses(400, 401, 403, 404, 409, 412, 429),
  },
});

export const postEntryVersionRestore = createRouter().openapi(route, async (c) => {
  const { db, redis, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const id = entryIdFrom(c);
  const { version } = c.req.valid("param");
  const precondition = async (current: Entry) => {
    if (failsIfMatch(c, await etagOf(current))) {
      throw new InkwellError(
        "PRECONDITION_FAILED",
        "The entry changed since you read it; read it again and retry.",
      );
    }
  };
  const entry = await updateEntry(db, dataKeys, userId, id, {}, precondition, { restoreVersion: version });
  await invalidateUserViews(redis, userId);
  const { jobId } = entry;
  if (jobId) inBackground(c, "dispatching the analysis job", () => dispatchJob(pipelineDeps(c), jobId));
  await withEtag(c, entry);
  return c.json(entry, 200);
});
