import { createRoute } from "@hono/zod-openapi";
import { createApiKeyRequestSchema, createdApiKeySchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { createApiKey } from "../../services/api-keys.ts";

const route = createRoute({
  method: "post",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key (the key is shown only in this answer)",
  description:
    "Needs a signed-in session: an API key cannot create keys. Send `password` unless the access token comes from a password sign-in (login, register, password change) in the last five minutes; without either the answer is 400 on `password`, and a wrong password counts towards the sign-in lockout (423 once locked). The admin scope is granted only to administrators.",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  request: {
    body: { required: true, content: { "application/json": { schema: createApiKeyRequestSchema } } },
  },
  responses: {
    201: { description: "The new key", content: { "application/json": { schema: createdApiKeySchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 423, 429),
  },
});

export const postApiKey = createRouter().openapi(route, async (c) => {
  const auth = c.get("auth");
  const created = await createApiKey(c.get("services"), auth, c.req.valid("json"));
  return c.json(created, 201);
});
