import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { deleteApiKey } from "../../services/api-keys.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Delete an API key; it stops working at once",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  request: { params: z.object({ id: z.string().openapi({ description: "The key id" }) }) },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const removeApiKey = createRouter().openapi(route, async (c) => {
  await deleteApiKey(c.get("services"), c.get("auth").userId, c.req.valid("param").id);
  return c.body(null, 204);
});
