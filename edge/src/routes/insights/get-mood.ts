import { createRoute } from "@hono/zod-openapi";
import { moodInsightsQuerySchema, moodInsightsSchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { moodSeries } from "../../services/insights.ts";
import { rangeKey, resolveRange } from "../../services/insights-range.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/mood",
  tags: ["Insights"],
  summary: "Entries, mean mood and mean sentiment per local day, week (ISO, from Monday) or month",
  description:
    "Covers entries with `from <= occurredAt < to` (default: the last 90 days). Buckets follow the " +
    "writer's time zone; every bucket the range touches is listed, quiet ones with zeros and nulls. " +
    "Day buckets span at most three years, others ten.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: moodInsightsQuerySchema },
  responses: {
    200: { description: "The series", content: { "application/json": { schema: moodInsightsSchema } } },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getMoodInsights = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const now = new Date();
  const range = resolveRange(query, query.bucket, now);
  const body = await cachedInsight(
    c,
    "insightsMood",
    now,
    (ctx) => `${query.bucket}|${rangeKey(range, query, ctx.today)}`,
    (ctx) => moodSeries(c.get("services").db, ctx.userId, ctx.timezone, query.bucket, range),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
