import { createRoute } from "@hono/zod-openapi";
import { createdJoinSecretSchema, createJoinSecretRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { audited } from "../../services/admin-audit.ts";
import { createJoinSecret } from "../../services/node-enrollment.ts";
import { adminOnly } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/admin/join-secrets",
  tags: ["Operators"],
  summary: "Create a join secret: any number of replicas started with it enroll as nodes of their own",
  description:
    "The secret (the replicas' NODE_JOIN_SECRET) is shown only in this answer. Each replica that starts with it enrolls itself at `POST /internal/nodes/enroll` and gets its own node id and token. Its URL must name one of `allowedHosts`: the URL is where entry text and chat prompts go.",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: {
    body: { required: true, content: { "application/json": { schema: createJoinSecretRequestSchema } } },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: createdJoinSecretSchema } } },
    ...problemResponses(400, 401, 403, 415, 429),
  },
});

export const postJoinSecret = createRouter().openapi(route, async (c) => {
  const { db } = c.get("services");
  const input = c.req.valid("json");
  const created = await audited(
    db,
    (tx) => createJoinSecret(tx, input),
    (made) => ({
      actorId: c.get("auth").userId,
      action: "join-secret.create",
      targetType: "join-secret",
      targetId: made.id,
      detail: { name: input.name },
    }),
  );
  c.header("Cache-Control", "no-store");
  return c.json(created, 201);
});
