import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { removeNode } from "../../services/nodes.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/admin/nodes/{id}",
  tags: ["Operators"],
  summary: "Remove a node: its token stops working; jobs it still holds are re-dispatched if they fail",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: { 204: { description: "Removed" }, ...problemResponses(401, 403, 404, 429) },
});

export const deleteNode = createRouter().openapi(route, async (c) => {
  await removeNode(c.get("services").db, uuidOr404(c.req.valid("param").id, "node"));
  return c.body(null, 204);
});
