import { createRoute, z } from "@hono/zod-openapi";
import { InkwellError, reflectionSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireAnyScope } from "../../middleware/auth.ts";
import { findReflection } from "../../services/reflection-requests.ts";
import { reflectionIdFrom } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/reflections/{id}",
  tags: ["Insights"],
  summary: "One of your reflections",
  security: [{ bearer: [] }],
  middleware: protect(requireAnyScope("entries:read", "ai")),
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    200: { description: "The reflection", content: { "application/json": { schema: reflectionSchema } } },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const getReflection = createRouter().openapi(route, async (c) => {
  const { db, dataKeys } = c.get("services");
  const reflection = await findReflection(db, dataKeys, c.get("auth").userId, reflectionIdFrom(c));
  if (!reflection) throw new InkwellError("NOT_FOUND", "No reflection with that id.");
  c.header("Cache-Control", "private, no-store");
  return c.json(reflection, 200);
});
