import { createRoute } from "@hono/zod-openapi";
import { pageQuerySchema, pageSchema, topicSchema } from "@inkwell/shared";
import { decodeKeyCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { withUserCache } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { listTopicPage, type TopicPosition } from "../../services/topics.ts";
import { withEtag } from "../entries/common.ts";

export const topicJson = topicSchema;

/** The name the topic list's cursors are signed for. */
const TOPIC_CURSOR = "topics";

const route = createRoute({
  method: "get",
  path: "/v1/topics",
  tags: ["Topics"],
  summary:
    "Your topics (made, then discovered; by name) with entry counts and a 30-day trend, a page at a time",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of topics",
      content: { "application/json": { schema: pageSchema(topicJson) } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getTopics = createRouter().openapi(route, async (c) => {
  const { db, redis, config, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const { limit, cursor } = c.req.valid("query");
  let after: TopicPosition | undefined;
  if (cursor) {
    const [kind = "", name = "", id = ""] = await decodeKeyCursor(config.JWT_SECRET, TOPIC_CURSOR, cursor, 3);
    after = [kind, name, id];
  }
  const page = await withUserCache(
    redis,
    { enabled: config.VIEW_CACHE, keys: dataKeys },
    "topicList",
    userId,
    JSON.stringify([limit, cursor]),
    async () => {
      const { items, last } = await listTopicPage(db, dataKeys, userId, { limit, after });
      return {
        items,
        nextCursor: last ? await encodeKeyCursor(config.JWT_SECRET, TOPIC_CURSOR, last) : null,
      };
    },
  );
  const body = page ?? { items: [], nextCursor: null };
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
