import { createRoute, z } from "@hono/zod-openapi";
import { topicSchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { withUserCache } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { listTopics } from "../../services/topics.ts";
import { withEtag } from "../entries/common.ts";

export const topicJson = topicSchema;

const route = createRoute({
  method: "get",
  path: "/v1/topics",
  tags: ["Topics"],
  summary: "Your topics (made and discovered) with entry counts and a 30-day trend",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  responses: {
    200: {
      description: "Topics",
      content: { "application/json": { schema: z.object({ items: z.array(topicJson) }) } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(401, 403, 429),
  },
});

export const getTopics = createRouter().openapi(route, async (c) => {
  const { db, redis, config } = c.get("services");
  const userId = c.get("auth").userId;
  const items =
    (await withUserCache(redis, { enabled: config.VIEW_CACHE }, "topicList", userId, "all", () =>
      listTopics(db, userId),
    )) ?? [];
  const body = { items };
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
