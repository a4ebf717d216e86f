import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { endAllSessions } from "../../services/sessions.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/logout-all",
  tags: ["Auth"],
  summary: "Sign out everywhere",
  description:
    "Revokes every refresh token of the account and makes access tokens already issued stop working at once. Needs a signed-in session (not an API key).",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  responses: {
    204: { description: "Signed out everywhere" },
    ...problemResponses(401, 403, 429),
  },
});

export const logoutAll = createRouter().openapi(route, async (c) => {
  await endAllSessions(c.get("services"), c.get("auth").userId);
  return c.body(null, 204);
});
