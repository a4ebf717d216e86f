import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { audited } from "../../services/admin-audit.ts";
import { setDraining } from "../../services/nodes.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const drainRoute = createRoute({
  method: "post",
  path: "/v1/admin/nodes/{id}/drain",
  tags: ["Operators"],
  summary: "Drain a node: no new jobs reach it; the ones it has finish and their results are kept",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: { 204: { description: "Draining" }, ...problemResponses(401, 403, 404, 429) },
});

const resumeRoute = createRoute({
  method: "delete",
  path: "/v1/admin/nodes/{id}/drain",
  tags: ["Operators"],
  summary: "Stop draining a node: it takes new jobs again from its next heartbeat",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: { 204: { description: "Accepting work again" }, ...problemResponses(401, 403, 404, 429) },
});

export const drainNode = createRouter()
  .openapi(drainRoute, async (c) => {
    const { db } = c.get("services");
    const id = uuidOr404(c.req.valid("param").id, "node");
    await audited(
      db,
      (tx) => setDraining(tx, id, true),
      () => ({ actorId: c.get("auth").userId, action: "node.drain", targetType: "node", targetId: id }),
    );
    return c.body(null, 204);
  })
  .openapi(resumeRoute, async (c) => {
    const { db } = c.get("services");
    const id = uuidOr404(c.req.valid("param").id, "node");
    await audited(
      db,
      (tx) => setDraining(tx, id, false),
      () => ({ actorId: c.get("auth").userId, action: "node.resume", targetType: "node", targetId: id }),
    );
    return c.body(null, 204);
  });
