import { createRoute } from "@hono/zod-openapi";
import { emotionInsightsSchema, insightRangeQuerySchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { emotionInsights } from "../../services/insights.ts";
import { rangeKey, resolveRange } from "../../services/insights-range.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/emotions",
  tags: ["Insights"],
  summary: "How often each emotion was the strongest one in your analysed entries",
  description:
    "Each entry with a finished analysis counts once, for its highest-scoring emotion: `count` is the " +
    "number of such entries, `share = count / analyzedEntries` (shares add up to 1). `mentions` counts " +
    "entries where the label appears at all, `avgScore` is its mean score there. Default range: 90 days.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: insightRangeQuerySchema },
  responses: {
    200: {
      description: "The distribution",
      content: { "application/json": { schema: emotionInsightsSchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getEmotionInsights = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const now = new Date();
  const range = resolveRange(query, undefined, now);
  const body = await cachedInsight(
    c,
    "insightsEmotions",
    now,
    (ctx) => rangeKey(range, query, ctx.today),
    (ctx) => emotionInsights(c.get("services").db, ctx.userId, ctx.timezone, range),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
