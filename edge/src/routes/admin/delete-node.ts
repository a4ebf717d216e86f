import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { audited } from "../../services/admin-audit.ts";
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
  const { db } = c.get("services");
  const id = uuidOr404(c.req.valid("param").id, "node");
  await audited(
    db,
    (tx) => removeNode(tx, id),
    () => ({ actorId: c.get("auth").userId, action: "node.delete", targetType: "node", targetId: id }),
  );
  return c.body(null, 204);
});
