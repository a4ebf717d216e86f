import { createRoute } from "@hono/zod-openapi";
import { InkwellError, nodeEnrollReplySchema, nodeEnrollRequestSchema } from "@inkwell/shared";
import { log } from "../../lib/log.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { activeJoinSecret, enrollNode } from "../../services/node-enrollment.ts";

const route = createRoute({
  method: "post",
  path: "/internal/nodes/enroll",
  tags: ["Internal"],
  summary: "A replica started with NODE_JOIN_SECRET enrolls: it gets a node id and a token of its own",
  description:
    "The bearer credential is a join secret an administrator created. A replica that enrolls again from the same URL gets its node back with a new token (the old one stops working).",
  security: [{ joinSecret: [] }],
  request: {
    body: { required: true, content: { "application/json": { schema: nodeEnrollRequestSchema } } },
  },
  responses: {
    200: { description: "Enrolled", content: { "application/json": { schema: nodeEnrollReplySchema } } },
    ...problemResponses(400, 401, 403, 409),
  },
});

export const postEnroll = createRouter();

const secretOf = new WeakMap<Request, NonNullable<Awaited<ReturnType<typeof activeJoinSecret>>>>();

// Authenticate before the body is validated, so an unknown caller learns nothing about the schema.
postEnroll.use(route.getRoutingPath(), async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const secret = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  if (!secret) throw new InkwellError("UNAUTHENTICATED", "A join secret is required.");
  const joinSecret = await activeJoinSecret(c.get("services").db, secret);
  if (!joinSecret) throw new InkwellError("UNAUTHENTICATED", "The join secret is not valid.");
  secretOf.set(c.req.raw, joinSecret);
  await next();
});

postEnroll.openapi(route, async (c) => {
  const joinSecret = secretOf.get(c.req.raw);
  if (!joinSecret) throw new InkwellError("UNAUTHENTICATED", "A join secret is required.");
  const { db, config } = c.get("services");
  const enrolled = await enrollNode(
    db,
    config.NODE_TOKEN_SECRET,
    joinSecret,
    c.req.valid("json"),
    config.ENVIRONMENT,
  );
  // The node's name and id only: the URL is the operator's and the token is a secret.
  log.info("node enrolled", {
    requestId: c.get("requestId"),
    nodeId: enrolled.nodeId,
    name: enrolled.name,
    joinSecretId: joinSecret.id,
  });
  c.header("Cache-Control", "no-store");
  return c.json(enrolled, 200);
});
