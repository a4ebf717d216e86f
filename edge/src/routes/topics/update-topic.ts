import { createRoute, z } from "@hono/zod-openapi";
import { updateTopicRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { updateTopic } from "../../services/topics.ts";
import { topicJson } from "./list-topics.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/topics/{id}",
  tags: ["Topics"],
  summary: "Rename or recolour a topic",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: {
    params: z.object({ id: z.string().max(64) }),
    body: { required: true, content: { "application/json": { schema: updateTopicRequestSchema } } },
  },
  responses: {
    200: { description: "The topic", content: { "application/json": { schema: topicJson } } },
    ...problemResponses(400, 401, 403, 404, 409, 415, 429),
  },
});

export const patchTopic = createRouter().openapi(route, async (c) => {
  const { db, redis, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const topic = await updateTopic(db, dataKeys, userId, c.req.valid("param").id, c.req.valid("json"));
  await invalidateUserViews(redis, userId);
  return c.json(topic, 200);
});
