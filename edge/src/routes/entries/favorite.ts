import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { setFavorite } from "../../services/entries.ts";
import { entryIdFrom, entryJson, idParam, withEtag } from "./common.ts";

function favoriteRoute(method: "put" | "delete") {
  return createRoute({
    method,
    path: "/v1/entries/{id}/favorite",
    tags: ["Entries"],
    summary: method === "put" ? "Mark an entry as a favourite" : "Unmark a favourite",
    security: [{ bearer: [] }],
    middleware: protect(requireScope("entries:write")),
    request: { params: idParam },
    responses: {
      200: { description: "The entry", content: { "application/json": { schema: entryJson } } },
      ...problemResponses(401, 403, 404, 429),
    },
  });
}

export const favorite = createRouter();
for (const method of ["put", "delete"] as const) {
  favorite.openapi(favoriteRoute(method), async (c) => {
    const { db, redis } = c.get("services");
    const userId = c.get("auth").userId;
    const entry = await setFavorite(db, userId, entryIdFrom(c), method === "put");
    await invalidateUserViews(redis, userId);
    await withEtag(c, entry);
    return c.json(entry, 200);
  });
}
