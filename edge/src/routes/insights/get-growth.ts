import { createRoute } from "@hono/zod-openapi";
import { growthInsightsSchema, growthQuerySchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { growthInsights } from "../../services/insights-growth.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/growth",
  tags: ["Insights"],
  summary: "This week or month against the one before: trend, emotions, topics, consistency",
  description:
    "Periods are local calendar weeks (from Monday 00:00) or months; the current one is the period " +
    "containing `at` (default: now) and usually still running, so its consistency is days written over " +
    "days elapsed. The sentiment slope is a least-squares fit of daily mean sentiment against the day of " +
    "the period (per day); emotion shares are top-emotion shares as in /v1/insights/emotions.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: growthQuerySchema },
  responses: {
    200: {
      description: "Growth indicators",
      content: { "application/json": { schema: growthInsightsSchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getGrowthInsights = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const now = new Date();
  const at = query.at ? new Date(query.at) : now;
  const body = await cachedInsight(
    c,
    "insightsGrowth",
    now,
    (ctx) => `${query.period}|${query.at ? at.toISOString() : `now:${ctx.today}`}`,
    (ctx) => growthInsights(c.get("services").db, ctx.userId, ctx.timezone, query.period, at),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
