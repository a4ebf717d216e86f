import { createRoute } from "@hono/zod-openapi";
import { topicInsightsQuerySchema, topicInsightsSchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { topicInsights } from "../../services/insights.ts";
import { rangeKey, resolveRange } from "../../services/insights-range.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/topics",
  tags: ["Insights"],
  summary: "Entries per topic and local bucket (default: weeks) for your most-written-about topics",
  description:
    "`buckets` lists every local bucket the range touches; each topic's `counts[i]` belongs to `buckets[i]`. " +
    "Topics without entries in the range are left out; `limit` (1..50, default 10) keeps the busiest.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: topicInsightsQuerySchema },
  responses: {
    200: {
      description: "Counts per topic",
      content: { "application/json": { schema: topicInsightsSchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getTopicInsights = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const now = new Date();
  const range = resolveRange(query, query.bucket, now);
  const body = await cachedInsight(
    c,
    "insightsTopics",
    now,
    (ctx) => `${query.bucket}|${query.limit}|${rangeKey(range, query, ctx.today)}`,
    (ctx) => topicInsights(c.get("services").db, ctx.userId, ctx.timezone, query.bucket, range, query.limit),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
