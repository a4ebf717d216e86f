import { createRoute } from "@hono/zod-openapi";
import { apiKeySchema, pageQuerySchema, pageSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { listApiKeys } from "../../services/api-keys.ts";

const route = createRoute({
  method: "get",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "The caller's API keys, newest first (never the keys themselves)",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of keys",
      content: { "application/json": { schema: pageSchema(apiKeySchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getApiKeys = createRouter().openapi(route, async (c) => {
  const page = await listApiKeys(c.get("services"), c.get("auth").userId, c.req.valid("query"));
  return c.json(page, 200);
});
