import { createRoute } from "@hono/zod-openapi";
import { listEntriesQuerySchema, pageQuerySchema, pageSchema } from "@inkwell/shared";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { withUserCache } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { listEntries } from "../../services/entries.ts";
import { entryJson, withEtag } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/entries",
  tags: ["Entries"],
  summary:
    "List entries, newest first, with filters (dates, tag, topic, favourite, mood, sentiment) and keyword search (q)",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: listEntriesQuerySchema.extend(pageQuerySchema.shape) },
  responses: {
    200: {
      description: "A page of entries",
      content: { "application/json": { schema: pageSchema(entryJson) } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getEntries = createRouter().openapi(route, async (c) => {
  const { db, redis, config, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const query = c.req.valid("query");
  const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
  const cacheKey = JSON.stringify([
    query.from,
    query.to,
    query.tag,
    query.topicId,
    query.favorite,
    query.q,
    query.mood,
    query.sentiment,
    query.limit,
    query.cursor,
  ]);
  const page = await withUserCache(
    redis,
    { enabled: config.VIEW_CACHE, keys: dataKeys },
    "entryList",
    userId,
    cacheKey,
    async () => {
      const { items, last } = await listEntries(db, dataKeys, userId, { ...query, after });
      return { items, nextCursor: last ? await encodeCursor(config.JWT_SECRET, last) : null };
    },
  );
  const body = page ?? { items: [], nextCursor: null };
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
