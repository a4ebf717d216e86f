import { createRoute } from "@hono/zod-openapi";
import { writingInsightsSchema } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { writingInsights } from "../../services/insights.ts";
import { withEtag } from "../entries/common.ts";
import { cachedInsight } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/writing",
  tags: ["Insights"],
  summary: "Totals, streaks and when you write (by local weekday and hour)",
  description:
    "Over the whole journal, in your time zone. A streak is a run of consecutive local calendar days " +
    "with at least one entry; the current streak still counts while today has no entry yet.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  responses: {
    200: {
      description: "Writing habits",
      content: { "application/json": { schema: writingInsightsSchema } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(401, 403, 429),
  },
});

export const getWritingInsights = createRouter().openapi(route, async (c) => {
  const now = new Date();
  const body = await cachedInsight(
    c,
    "insightsWriting",
    now,
    // The current streak depends on which local day it is, nothing else on the clock.
    (ctx) => ctx.today,
    (ctx) => writingInsights(c.get("services").db, ctx.userId, ctx.timezone, ctx.now),
  );
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
