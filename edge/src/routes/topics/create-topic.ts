import { createRoute } from "@hono/zod-openapi";
import { createTopicRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { createTopic } from "../../services/topics.ts";
import { topicJson } from "./list-topics.ts";

const route = createRoute({
  method: "post",
  path: "/v1/topics",
  tags: ["Topics"],
  summary: "Make a topic",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: {
    body: { required: true, content: { "application/json": { schema: createTopicRequestSchema } } },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: topicJson } } },
    ...problemResponses(400, 401, 403, 409, 415, 429),
  },
});

export const postTopic = createRouter().openapi(route, async (c) => {
  const { db, redis, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const topic = await createTopic(db, dataKeys, userId, c.req.valid("json"));
  await invalidateUserViews(redis, userId);
  c.header("Location", `/v1/topics/${topic.id}`);
  return c.json(topic, 201);
});
