import { createRoute } from "@hono/zod-openapi";
import { hashToken, InkwellError, nodeHeartbeatReplySchema, nodeHeartbeatSchema } from "@inkwell/shared";
import { eq, sql } from "drizzle-orm";
import { nodes } from "../../db/schema/index.ts";
import { log } from "../../lib/log.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { failAuthentication, refuseAddressOverFailureBudget } from "../../middleware/auth-failures.ts";
import { dispatchWaiting } from "../../services/job-dispatch.ts";
import {
  heartbeatIntervalSeconds,
  heartbeatNeedsWrite,
  type StoredNode,
} from "../../services/node-heartbeat.ts";
import { nodeStatus } from "../../services/nodes.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";

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

export const postHeartbeat = createRouter();

const wasHealthy = new WeakMap<Request, boolean>();
/** The node as stored before this beat: what decides whether the beat is written at all. */
const storedBefore = new WeakMap<Request, StoredNode>();

// Authenticate before the body is validated, so an unknown caller learns nothing about the schema.
postHeartbeat.use(route.getRoutingPath(), async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  if (!token) throw new InkwellError("UNAUTHENTICATED", "A node token is required.");
  // An address that keeps presenting unknown tokens is refused before Postgres is asked again.
  await refuseAddressOverFailureBudget(c);
  const [node] = await c
    .get("services")
    .db.select({
      id: nodes.id,
      status: nodes.status,
      draining: nodes.draining,
      lastHeartbeatAt: nodes.lastHeartbeatAt,
      unreachableSince: nodes.unreachableSince,
      version: nodes.version,
      url: nodes.url,
      reportedUrl: nodes.reportedUrl,
      hardware: nodes.hardware,
      models: nodes.models,
      load: nodes.load,
    })
    .from(nodes)
    .where(eq(nodes.tokenHash, await hashToken(token)))
    .limit(1);
  if (!node)
    return await failAuthentication(c, new InkwellError("UNAUTHENTICATED", "The node token is not valid."));
  c.set("nodeId", node.id);
  storedBefore.set(c.req.raw, node);
  // Whether the node was schedulable before this beat: if not, it has just (re)appeared.
  wasHealthy.set(
    c.req.raw,
    nodeStatus(node, new Date(), c.get("services").config.NODE_HEARTBEAT_TTL_SECONDS) === "healthy",
  );
  await next();
});

postHeartbeat.openapi(route, async (c) => {
  const beat = c.req.valid("json");
  const nodeId = c.get("nodeId");
  const { db, config } = c.get("services");
  const now = new Date();
  const reported = beat.url ? beat.url.replace(/\/+$/, "") : null;
  const nextHeartbeatInSeconds = heartbeatIntervalSeconds(config.NODE_HEARTBEAT_TTL_SECONDS);
  const stored = storedBefore.get(c.req.raw);
  // Load and last beat live in Postgres, where the scheduler reads them with the rest of the node; a
  // beat that changes nothing and finds the stored one recent enough is not written.
  if (stored && !heartbeatNeedsWrite(stored, beat, now, config.NODE_HEARTBEAT_TTL_SECONDS)) {
    return c.json({ nodeId, status: stored.status, nextHeartbeatInSeconds }, 200);
  }
  const [row] = await db
    .update(nodes)
    .set({
      version: beat.version,
      hardware: beat.hardware,
      models: beat.models,
      load: beat.load,
      // The registered URL is the administrator's: a different one a node reports is only shown to them.
      reportedUrl: sql`case when ${reported}::text is null or ${reported}::text = ${nodes.url} then null else ${reported}::text end`,
      status: sql`case when ${nodes.draining} or ${beat.draining} then 'draining' else 'healthy' end`,
      lastHeartbeatAt: now,
      // A beat proves the node is back, whatever QStash saw before.
      unreachableSince: null,
      updatedAt: now,
    })
    .where(eq(nodes.id, nodeId))
    .returning({ status: nodes.status, url: nodes.url, reportedUrl: nodes.reportedUrl });
  if (row?.reportedUrl && row.reportedUrl !== stored?.reportedUrl) {
    log.warn("node reports a URL other than the registered one; not used until an administrator moves it", {
      requestId: c.get("requestId"),
      nodeId,
      registered: row.url,
      reported: row.reportedUrl,
    });
  }
  const status = row?.status ?? (beat.draining ? "draining" : "healthy");
  if (status === "healthy" && !wasHealthy.get(c.req.raw)) {
    // Jobs that waited for a node need not wait for the next sweep.
    inBackground(c, "dispatching waiting jobs", () =>
      dispatchWaiting(pipelineDeps(c), { limit: 200, dueOnly: false }),
    );
  }
  return c.json({ nodeId, status, nextHeartbeatInSeconds }, 200);
});
