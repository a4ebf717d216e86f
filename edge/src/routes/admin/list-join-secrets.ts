import { createRoute } from "@hono/zod-openapi";
import { joinSecretListSchema, pageQuerySchema } from "@inkwell/shared";
import { decodeKeyCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { listJoinSecrets } from "../../services/node-enrollment.ts";
import { adminOnly } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/join-secrets",
  tags: ["Operators"],
  summary: "Join secrets (never the secrets themselves), newest first, with how many nodes each enrolled",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of join secrets, newest first",
      content: { "application/json": { schema: joinSecretListSchema } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

/** The name the join-secret list's cursors are signed for. */
const JOIN_SECRET_CURSOR = "admin-join-secrets";

export const getJoinSecrets = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const { limit, cursor } = c.req.valid("query");
  const [after] = cursor ? await decodeKeyCursor(config.JWT_SECRET, JOIN_SECRET_CURSOR, cursor, 1) : [];
  const { items, last } = await listJoinSecrets(db, { limit, after });
  const nextCursor = last ? await encodeKeyCursor(config.JWT_SECRET, JOIN_SECRET_CURSOR, [last]) : null;
  return c.json({ items, nextCursor }, 200);
});
