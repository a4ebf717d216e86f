import { createRoute } from "@hono/zod-openapi";
import { hashToken, InkwellError, nodeHeartbeatReplySchema, nodeHeartbeatSchema } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { nodes } from "../../db/schema/index.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";

const route = createRoute({
  method: "post",
  path: "/internal/nodes/heartbeat",
  tags: ["Internal"],
  summary: "A registered inference node reports its hardware, models and load",
  security: [{ nodeToken: [] }],
  request: { body: { required: true, content: { "application/json": { schema: nodeHeartbeatSchema } } } },
  responses: {
    200: { description: "Recorded", content: { "application/json": { schema: nodeHeartbeatReplySchema } } },
    ...problemResponses(400, 401),
  },
});

const HEARTBEAT_INTERVAL_SECONDS = 5;

export const postHeartbeat = createRouter();

// Authenticate before the body is validated, so an unknown caller learns nothing about the schema.
postHeartbeat.use(route.getRoutingPath(), async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  if (!token) throw new InkwellError("UNAUTHENTICATED", "A node token is required.");
  const [node] = await c
    .get("services")
    .db.select({ id: nodes.id })
    .from(nodes)
    .where(eq(nodes.tokenHash, await hashToken(token)))
    .limit(1);
  if (!node) throw new InkwellError("UNAUTHENTICATED", "The node token is not valid.");
  c.set("nodeId", node.id);
  await next();
});

postHeartbeat.openapi(route, async (c) => {
  const beat = c.req.valid("json");
  const nodeId = c.get("nodeId");
  const [row] = await c
    .get("services")
    .db.update(nodes)
    .set({
      version: beat.version,
      hardware: beat.hardware,
      models: beat.models,
      load: beat.load,
      ...(beat.url ? { url: beat.url } : {}),
      lastHeartbeatAt: new Date(),
      updatedAt: new Date(),
    })
    .where(eq(nodes.id, nodeId))
    .returning({ draining: nodes.draining });
  const draining = (row?.draining ?? false) || beat.draining;
  const status = draining ? "draining" : "healthy";
  await c.get("services").db.update(nodes).set({ status }).where(eq(nodes.id, nodeId));
  return c.json({ nodeId, status, nextHeartbeatInSeconds: HEARTBEAT_INTERVAL_SECONDS } as const, 200);
});
