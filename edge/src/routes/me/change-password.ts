import { createRoute } from "@hono/zod-openapi";
import { changePasswordRequestSchema, passwordChangedSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { changePassword, toUserView } from "../../services/accounts.ts";
import { startSession } from "../../services/sessions.ts";

const route = createRoute({
  method: "post",
  path: "/v1/me/password",
  tags: ["Account"],
  summary: "Change the password; every other session is signed out and every API key revoked",
  description:
    "Revokes all refresh tokens, access tokens and API keys of the account, then answers with a fresh token pair for the caller and `revokedApiKeys`, how many keys were revoked. A wrong current password is 400 and counts towards the sign-in lockout.",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  request: {
    body: { required: true, content: { "application/json": { schema: changePasswordRequestSchema } } },
  },
  responses: {
    200: {
      description: "Password changed; the caller's new session",
      content: { "application/json": { schema: passwordChangedSchema } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 423, 429),
  },
});

export const postPassword = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const { currentPassword, newPassword } = c.req.valid("json");
  const { user, revokedApiKeys } = await changePassword(
    services,
    c.get("auth").userId,
    currentPassword,
    newPassword,
  );
  const tokens = await startSession(services, user);
  return c.json({ user: toUserView(user), ...tokens, tokenType: "Bearer" as const, revokedApiKeys }, 200);
});
