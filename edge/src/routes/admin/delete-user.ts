import { createRoute } from "@hono/zod-openapi";
import { deletedUserSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";
import { deleteUserAsAdmin } from "../../services/user-admin.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/admin/users/{id}",
  tags: ["Operators"],
  summary: "Delete an account and everything in it, for good, as its owner's DELETE /v1/me does",
  description:
    "Rows, cached keys and (by the purge job) vectors go; the audit log keeps the account's id. An administrator deletes their own account with DELETE /v1/me (409 here).",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: {
    202: {
      description: "Deleted; vectors are being purged from every node",
      content: { "application/json": { schema: deletedUserSchema } },
    },
    ...problemResponses(401, 403, 404, 409, 429),
  },
});

export const deleteUser = createRouter().openapi(route, async (c) => {
  const id = uuidOr404(c.req.valid("param").id, "user");
  const { purgeJobId } = await deleteUserAsAdmin(c.get("services"), id, c.get("auth").userId);
  inBackground(c, "dispatching the vector purge", () => dispatchJob(pipelineDeps(c), purgeJobId));
  return c.json({ deleted: true as const, purgeJobId }, 202);
});
