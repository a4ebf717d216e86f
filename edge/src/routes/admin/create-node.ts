import { createRoute } from "@hono/zod-openapi";
import { createdNodeSchema, createNodeRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { audited } from "../../services/admin-audit.ts";
import { registerNode } from "../../services/nodes.ts";
import { adminOnly } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/admin/nodes",
  tags: ["Operators"],
  summary: "Register an inference node; its token (the node's NODE_TOKEN) is shown only in this answer",
  description:
    "The URL is where QStash delivers jobs (entry text) and the edge sends chat prompts: https in production. Only an administrator sets or changes it; a node's heartbeat cannot.",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { body: { required: true, content: { "application/json": { schema: createNodeRequestSchema } } } },
  responses: {
    201: { description: "Registered", content: { "application/json": { schema: createdNodeSchema } } },
    ...problemResponses(400, 401, 403, 409, 415, 429),
  },
});

export const postNode = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const input = c.req.valid("json");
  const created = await audited(
    db,
    (tx) => registerNode(tx, config.NODE_TOKEN_SECRET, input, config.ENVIRONMENT),
    (node) => ({
      actorId: c.get("auth").userId,
      action: "node.create",
      targetType: "node",
      targetId: node.id,
      detail: { name: input.name, url: input.url },
    }),
  );
  c.header("Cache-Control", "no-store");
  c.header("Location", `/v1/admin/nodes/${created.id}`);
  return c.json(created, 201);
});
