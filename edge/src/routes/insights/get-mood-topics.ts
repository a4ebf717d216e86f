import { createRoute } from "@hono/zod-openapi";
import { moodTopicsQuerySchema, moodTopicsSchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { moodByTopic } from "../../services/insights-mood-patterns.ts";
import { rangeKey, resolveRange } from "../../services/insights-range.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/mood/topics",
  tags: ["Insights"],
  summary: "Mean mood and mean sentiment per topic, against all your entries of the range",
  description:
    "For the `limit` topics (made and discovered) with the most entries in `[from, to)` (default: the " +
    "last 90 days, at most ten years): the entries' mean mood and mean sentiment, and how far each lies " +
    "from the same figures over every entry of the range (`overall`), topic or not.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: moodTopicsQuerySchema },
  responses: {
    200: {
      description: "Mood per topic",
      content: { "application/json": { schema: moodTopicsSchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getMoodTopics = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const now = new Date();
  const range = resolveRange(query, undefined, now);
  const body = await cachedInsight(
    c,
    "insightsMoodTopics",
    now,
    (ctx) => `${query.limit}|${rangeKey(range, query, ctx.today)}`,
    (ctx) => moodByTopic(c.get("services").db, ctx.userId, ctx.timezone, range, query.limit),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
