import { createRoute } from "@hono/zod-openapi";
import { insightRangeQuerySchema, wordCountsSchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { rangeKey, resolveRange } from "../../services/insights-range.ts";
import { wordCounts } from "../../services/insights-writing-patterns.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/word-counts",
  tags: ["Insights"],
  summary: "How long your entries are: percentiles and a histogram of word counts",
  description:
    "Over entries with `from <= occurredAt < to` (default: the last 90 days, at most ten years): mean, " +
    "percentiles (25th, median, 75th, 90th), shortest and longest, and counts in fixed bins " +
    "(0, 50, 100, 250, 500, 1000, 2000 words and more; each bin holds `min <= words < max`).",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: insightRangeQuerySchema },
  responses: {
    200: {
      description: "The word-count distribution",
      content: { "application/json": { schema: wordCountsSchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getWordCounts = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const now = new Date();
  const range = resolveRange(query, undefined, now);
  const body = await cachedInsight(
    c,
    "insightsWordCounts",
    now,
    (ctx) => rangeKey(range, query, ctx.today),
    (ctx) => wordCounts(c.get("services").db, ctx.userId, ctx.timezone, range),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
