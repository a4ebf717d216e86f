import { createRoute } from "@hono/zod-openapi";
import { InkwellError } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { withUserCache } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { findEntry } from "../../services/entries.ts";
import { entryIdFrom, entryJson, idParam, withEtag } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/entries/{id}",
  tags: ["Entries"],
  summary: "Read one entry with its analysis",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { params: idParam },
  responses: {
    200: { description: "The entry", content: { "application/json": { schema: entryJson } } },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const getEntry = createRouter().openapi(route, async (c) => {
  const { db, redis, config, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const id = entryIdFrom(c);
  const entry = await withUserCache(
    redis,
    { enabled: config.VIEW_CACHE, keys: dataKeys },
    "entry",
    userId,
    id,
    () => findEntry(db, dataKeys, userId, id),
  );
  if (!entry) throw new InkwellError("NOT_FOUND", "No entry with that id.");
  const etag = await withEtag(c, entry);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(entry, 200);
});
