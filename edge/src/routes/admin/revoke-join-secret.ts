import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { audited } from "../../services/admin-audit.ts";
import { revokeJoinSecret } from "../../services/node-enrollment.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/admin/join-secrets/{id}",
  tags: ["Operators"],
  summary: "Revoke a join secret: no replica can enroll with it any more",
  description:
    "Nodes it already enrolled keep their own tokens, so a rotation (new secret, replicas restarted with it, old one revoked) never takes the pool down. `?nodes=remove` also removes every node it enrolled: their tokens stop working at once (a secret that leaked).",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: {
    params: idParam,
    query: z.object({ nodes: z.enum(["keep", "remove"]).default("keep") }),
  },
  responses: { 204: { description: "Revoked" }, ...problemResponses(400, 401, 403, 404, 429) },
});

export const deleteJoinSecret = createRouter().openapi(route, async (c) => {
  const id = uuidOr404(c.req.valid("param").id, "join secret");
  const { db } = c.get("services");
  const removeNodes = c.req.valid("query").nodes === "remove";
  await audited(
    db,
    (tx) => revokeJoinSecret(tx, id, { removeNodes }),
    ({ removedNodes }) => ({
      actorId: c.get("auth").userId,
      action: "join-secret.revoke",
      targetType: "join-secret",
      targetId: id,
      detail: { removedNodes },
    }),
  );
  return c.body(null, 204);
});
