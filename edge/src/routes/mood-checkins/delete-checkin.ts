import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { deleteMoodCheckin } from "../../services/mood-checkins.ts";
import { checkinIdOr404, idParam } from "./common.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/mood-checkins/{id}",
  tags: ["Entries"],
  summary: "Delete a mood check-in; the mood insights no longer count it",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 429) },
});

export const removeMoodCheckin = createRouter().openapi(route, async (c) => {
  const { db, redis } = c.get("services");
  const userId = c.get("auth").userId;
  await deleteMoodCheckin(db, userId, checkinIdOr404(c.req.valid("param").id));
  await invalidateUserViews(redis, userId);
  return c.body(null, 204);
});
