import { createRoute } from "@hono/zod-openapi";
import { createMoodCheckinRequestSchema, moodCheckinSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { createMoodCheckin } from "../../services/mood-checkins.ts";

const route = createRoute({
  method: "post",
  path: "/v1/mood-checkins",
  tags: ["Entries"],
  summary: "Log a mood (1..10, as entries rate it) without writing an entry; counted in the mood insights",
  description:
    "`note` is at most 280 characters; `at` defaults to now and may be at most a day ahead. Each check-in counts as one more rating in the mood insights (docs/insights.md).",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: {
    body: { required: true, content: { "application/json": { schema: createMoodCheckinRequestSchema } } },
  },
  responses: {
    201: { description: "Logged", content: { "application/json": { schema: moodCheckinSchema } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 429),
  },
});

export const postMoodCheckin = createRouter().openapi(route, async (c) => {
  const { db, redis } = c.get("services");
  const userId = c.get("auth").userId;
  const checkin = await createMoodCheckin(db, userId, c.req.valid("json"));
  // The mood insights count check-ins: cached views are dropped as an entry write drops them.
  await invalidateUserViews(redis, userId);
  c.header("Location", `/v1/mood-checkins/${checkin.id}`);
  return c.json(checkin, 201);
});
