import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { endSession } from "../../services/account-security.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/me/sessions/{id}",
  tags: ["Account"],
  summary: "Sign one session out (a device you no longer use or do not recognise)",
  description:
    "Revokes the session's refresh token, so it cannot be renewed. An access token it already holds keeps working until it expires (15 minutes at most); `POST /v1/auth/logout-all` ends every access token at once. Another user's session, or one already ended, is 404.",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  request: {
    params: z.object({ id: z.string().openapi({ description: "The session id from GET /v1/me/security" }) }),
  },
  responses: {
    204: { description: "Signed out" },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const deleteSession = createRouter().openapi(route, async (c) => {
  await endSession(c.get("services"), c.get("auth").userId, c.req.valid("param").id);
  return c.body(null, 204);
});
