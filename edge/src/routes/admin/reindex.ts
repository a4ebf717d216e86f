import { createRoute, z } from "@hono/zod-openapi";
import { uuidv7 } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { audited } from "../../services/admin-audit.ts";
import { createReindexJob, dispatchJob, embeddingModels } from "../../services/job-dispatch.ts";
import { pipelineDeps } from "../../services/pipeline-context.ts";
import { adminOnly } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/admin/reindex",
  tags: ["Operators"],
  summary: "Rebuild the vector store (Chroma) from the embeddings kept in Postgres, without re-embedding",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: {
    body: {
      required: false,
      content: { "application/json": { schema: z.strictObject({ model: z.string().max(200).optional() }) } },
    },
  },
  responses: {
    202: {
      description: "One job per model; later pages follow as each page lands",
      content: { "application/json": { schema: z.object({ jobIds: z.array(z.string()) }) } },
    },
    ...problemResponses(400, 401, 403, 415, 429),
  },
});

export const postReindex = createRouter().openapi(route, async (c) => {
  const { db } = c.get("services");
  const body = c.req.header("Content-Type") ? c.req.valid("json") : {};
  const models = body.model ? [body.model] : await embeddingModels(db);
  const planned = models.map((model) => ({ model, id: uuidv7() }));
  const jobIds = planned.map((job) => job.id);
  // The jobs and their audit row commit together; they are handed to QStash only after.
  await audited(
    db,
    async (tx) => {
      for (const job of planned) await createReindexJob(tx, job.model, null, job.id);
    },
    () => ({
      actorId: c.get("auth").userId,
      action: "reindex",
      targetType: "index",
      targetId: null,
      detail: { models, jobIds },
    }),
  );
  const deps = pipelineDeps(c);
  for (const id of jobIds) await dispatchJob(deps, id);
  return c.json({ jobIds }, 202);
});
