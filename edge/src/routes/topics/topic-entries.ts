import { createRoute, z } from "@hono/zod-openapi";
import { pageQuerySchema, pageSchema } from "@inkwell/shared";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { withUserCache } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { listEntries } from "../../services/entries.ts";
import { getTopic } from "../../services/topics.ts";
import { entryJson } from "../entries/common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/topics/{id}/entries",
  tags: ["Topics"],
  summary: "Entries of one topic, newest first",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { params: z.object({ id: z.string().max(64) }), query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of entries",
      content: { "application/json": { schema: pageSchema(entryJson) } },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const getTopicEntries = createRouter().openapi(route, async (c) => {
  const { db, redis, config, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  await getTopic(db, dataKeys, userId, id);
  const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
  const page = await withUserCache(
    redis,
    { enabled: config.VIEW_CACHE, keys: dataKeys },
    "topicEntries",
    userId,
    JSON.stringify([id, query.limit, query.cursor]),
    async () => {
      const { items, last } = await listEntries(db, dataKeys, userId, {
        limit: query.limit,
        after,
        topicOnly: id,
      });
      return { items, nextCursor: last ? await encodeCursor(config.JWT_SECRET, last) : null };
    },
  );
  return c.json(page ?? { items: [], nextCursor: null }, 200);
});
