import { createRoute } from "@hono/zod-openapi";
import { InkwellError, streakInsightsSchema, streaksQuerySchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { streakInsights } from "../../services/insights-writing-patterns.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/streaks",
  tags: ["Insights"],
  summary: "Your best and worst runs: writing streaks and gaps, good-mood and low-mood streaks",
  description:
    "Over the whole journal, in your time zone. A writing streak is a run of consecutive local days with " +
    "an entry, a gap a run of days without one between two writing days; mood check-ins are not writing " +
    "and count in neither. A good-mood (low-mood) streak is a run of consecutive local days whose mean " +
    "mood (entries' own moods and check-ins, each one rating) is at least `goodMood` (at most `lowMood`); " +
    "a day without a mood breaks it. The `limit` longest of each, the most recent first on a tie.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: streaksQuerySchema },
  responses: {
    200: {
      description: "Best and worst streaks",
      content: { "application/json": { schema: streakInsightsSchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getStreaks = createRouter().openapi(route, async (c) => {
  const query = c.req.valid("query");
  if (query.lowMood >= query.goodMood) {
    const message = "must be below goodMood";
    throw new InkwellError("VALIDATION_FAILED", `Invalid query: lowMood ${message}.`, {
      errors: [{ path: "lowMood", message }],
    });
  }
  const body = await cachedInsight(
    c,
    "insightsStreaks",
    new Date(),
    // Whole history and no "today" in it: only the options pick the answer.
    () => `${query.limit}|${query.goodMood}|${query.lowMood}`,
    (ctx) => streakInsights(c.get("services").db, ctx.userId, ctx.timezone, query),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
