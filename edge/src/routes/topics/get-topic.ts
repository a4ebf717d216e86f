import { createRoute, z } from "@hono/zod-openapi";
import { InkwellError } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { withUserCache } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { assertTopicId, getTopic } from "../../services/topics.ts";
import { withEtag } from "../entries/common.ts";
import { topicJson } from "./list-topics.ts";

const route = createRoute({
  method: "get",
  path: "/v1/topics/{id}",
  tags: ["Topics"],
  summary: "One topic with its entry count and 30-day trend",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { params: z.object({ id: z.string().max(64).openapi({ description: "Topic id" }) }) },
  responses: {
    200: { description: "The topic", content: { "application/json": { schema: topicJson } } },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const getTopicById = createRouter().openapi(route, async (c) => {
  const { db, redis, config, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const id = assertTopicId(c.req.valid("param").id);
  const topic = await withUserCache(
    redis,
    { enabled: config.VIEW_CACHE, keys: dataKeys },
    "topic",
    userId,
    id,
    () => getTopic(db, dataKeys, userId, id),
  );
  if (!topic) throw new InkwellError("NOT_FOUND", "No topic with that id.");
  const etag = await withEtag(c, topic);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(topic, 200);
});
