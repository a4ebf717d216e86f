import { createRoute } from "@hono/zod-openapi";
import { updateNodeRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { audited } from "../../services/admin-audit.ts";
import { updateNodeUrl } from "../../services/nodes.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/admin/nodes/{id}",
  tags: ["Operators"],
  summary: "Move a node to a new URL",
  description:
    "The only way a node's URL changes: a heartbeat reporting another URL is shown as `reportedUrl` and never routed to. https in production; every change is logged.",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: {
    params: idParam,
    body: { required: true, content: { "application/json": { schema: updateNodeRequestSchema } } },
  },
  responses: { 204: { description: "Moved" }, ...problemResponses(400, 401, 403, 404, 415, 429) },
});

export const patchNode = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const nodeId = uuidOr404(c.req.valid("param").id, "node");
  const input = c.req.valid("json");
  const adminId = c.get("auth").userId;
  const moved = await audited(
    db,
    (tx) => updateNodeUrl(tx, nodeId, input, config.ENVIRONMENT),
    (urls) => ({
      actorId: adminId,
      action: "node.update",
      targetType: "node",
      targetId: nodeId,
      detail: { url: urls.to },
    }),
  );
  console.warn(
    JSON.stringify({
      level: "warn",
      msg: "node url changed by an administrator",
      nodeId,
      adminId,
      from: moved.from,
      to: moved.to,
    }),
  );
  return c.body(null, 204);
});
