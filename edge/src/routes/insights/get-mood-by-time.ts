import { createRoute } from "@hono/zod-openapi";
import { insightRangeQuerySchema, moodByTimeSchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { moodByTime } from "../../services/insights-mood-patterns.ts";
import { rangeKey, resolveRange } from "../../services/insights-range.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/mood/by-time",
  tags: ["Insights"],
  summary: "Mean mood and mean sentiment by local weekday and by local hour of the day",
  description:
    "Covers entries with `from <= occurredAt < to` (default: the last 90 days, at most ten years). " +
    "Weekdays (ISO, Monday first) and hours (0–23) are those of each entry's local time in your time " +
    "zone; every weekday and hour is listed, quiet ones with zeros and nulls.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: insightRangeQuerySchema },
  responses: {
    200: {
      description: "Mood by weekday and hour",
      content: { "application/json": { schema: moodByTimeSchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getMoodByTime = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const now = new Date();
  const range = resolveRange(query, undefined, now);
  const body = await cachedInsight(
    c,
    "insightsMoodByTime",
    now,
    (ctx) => rangeKey(range, query, ctx.today),
    (ctx) => moodByTime(c.get("services").db, ctx.userId, ctx.timezone, range),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
