import { createRoute, z } from "@hono/zod-openapi";
import { adminNodeSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { listNodes } from "../../services/nodes.ts";
import { adminOnly } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/nodes",
  tags: ["Operators"],
  summary: "Registered nodes: status from heartbeat freshness, hardware, models and load",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  responses: {
    200: {
      description: "Every registered node",
      content: { "application/json": { schema: z.object({ items: z.array(adminNodeSchema) }) } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export const getNodes = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  return c.json({ items: await listNodes(db, config.NODE_HEARTBEAT_TTL_SECONDS) }, 200);
});
