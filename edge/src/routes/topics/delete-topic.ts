import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { deleteTopic } from "../../services/topics.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/topics/{id}",
  tags: ["Topics"],
  summary: "Delete a topic (its entries stay)",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 429) },
});

export const removeTopic = createRouter().openapi(route, async (c) => {
  const { db, redis } = c.get("services");
  const userId = c.get("auth").userId;
  await deleteTopic(db, userId, c.req.valid("param").id);
  await invalidateUserViews(redis, userId);
  return c.body(null, 204);
});
