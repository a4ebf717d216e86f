import { createRoute } from "@hono/zod-openapi";
import { adminNodeSchema, pageQuerySchema, pageSchema } from "@inkwell/shared";
import { decodeKeyCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { listNodes, type NodePosition } from "../../services/nodes.ts";
import { adminOnly } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/nodes",
  tags: ["Operators"],
  summary: "Registered nodes: status from heartbeat freshness, hardware, models and load",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of registered nodes, by name",
      content: { "application/json": { schema: pageSchema(adminNodeSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

/** The name the node list's cursors are signed for. */
const NODE_CURSOR = "admin-nodes";

export const getNodes = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const { limit, cursor } = c.req.valid("query");
  let after: NodePosition | undefined;
  if (cursor) {
    const [name = "", id = ""] = await decodeKeyCursor(config.JWT_SECRET, NODE_CURSOR, cursor, 2);
    after = [name, id];
  }
  const { items, last } = await listNodes(db, config.NODE_HEARTBEAT_TTL_SECONDS, { limit, after });
  const nextCursor = last ? await encodeKeyCursor(config.JWT_SECRET, NODE_CURSOR, last) : null;
  return c.json({ items, nextCursor }, 200);
});
