import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { setFavorite } from "../../services/entries.ts";
import { entryIdFrom, entryJson, idParam, withEtag } from "./common.ts";

function favoriteRoute<M extends "put" | "delete">(method: M) {
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

/** Marks or unmarks the entry and answers it as it now is, with its new ETag. */
async function markFavorite(c: Context<AppEnv>, on: boolean) {
  const { db, redis, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const entry = await setFavorite(db, dataKeys, userId, entryIdFrom(c), on);
  await invalidateUserViews(redis, userId);
  await withEtag(c, entry);
  return entry;
}

/** Chained, so both methods reach the typed client (`edge/src/client.ts`). */
export const favorite = createRouter()
  .openapi(favoriteRoute("put"), async (c) => c.json(await markFavorite(c, true), 200))
  .openapi(favoriteRoute("delete"), async (c) => c.json(await markFavorite(c, false), 200));
