import { createRoute } from "@hono/zod-openapi";
import { createEntryRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { createEntry } from "../../services/entries.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";
import { entryJson, withEtag } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/entries",
  tags: ["Entries"],
  summary: "Write an entry; its analysis is queued in the same transaction",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: {
    body: { required: true, content: { "application/json": { schema: createEntryRequestSchema } } },
  },
  responses: {
    201: { description: "Created, analysis pending", content: { "application/json": { schema: entryJson } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429),
  },
});

export const postEntry = createRouter().openapi(route, async (c) => {
  const { db, redis, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const idempotencyKey = c.req.header("Idempotency-Key");
  const entry = await createEntry(
    db,
    dataKeys,
    userId,
    c.req.valid("json"),
    idempotencyKey ? { idempotencyKey } : {},
  );
  await invalidateUserViews(redis, userId);
  const { jobId } = entry;
  if (jobId) inBackground(c, "dispatching the analysis job", () => dispatchJob(pipelineDeps(c), jobId));
  await withEtag(c, entry);
  c.header("Location", `/v1/entries/${entry.id}`);
  return c.json(entry, 201);
});
