import { createRoute } from "@hono/zod-openapi";
import { moodStabilityQuerySchema, moodStabilitySchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { moodStability } from "../../services/insights-mood-patterns.ts";
import { rangeKey, resolveRange } from "../../services/insights-range.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/mood/stability",
  tags: ["Insights"],
  summary: "How much your mood and sentiment vary from day to day, per local week or month",
  description:
    "Each local day with entries in `[from, to)` (default: the last 90 days, at most ten years) is one " +
    "point, the mean of its entries. Per window and over the whole range: the points' mean, sample " +
    "standard deviation (`sd`), range, and `rmssd`, the root mean square of the changes between " +
    "consecutive calendar days that both have a value (higher: bigger swings). Every window the range " +
    "touches is listed.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: moodStabilityQuerySchema },
  responses: {
    200: {
      description: "Mood variability",
      content: { "application/json": { schema: moodStabilitySchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getMoodStability = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const now = new Date();
  const range = resolveRange(query, query.bucket, now);
  const body = await cachedInsight(
    c,
    "insightsMoodStability",
    now,
    (ctx) => `${query.bucket}|${rangeKey(range, query, ctx.today)}`,
    (ctx) => moodStability(c.get("services").db, ctx.userId, ctx.timezone, query.bucket, range),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
