import { createRoute } from "@hono/zod-openapi";
import { InkwellError, passwordResetDoneSchema, resetPasswordRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { failAuthentication } from "../../middleware/auth-failures.ts";
import { limitByIp } from "../../middleware/rate-limit.ts";
import { resetPassword } from "../../services/password-reset.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/reset-password",
  tags: ["Auth"],
  summary: "Set a new password with a one-time reset token",
  description:
    "The token comes from a reset mail or from an administrator. It works once, for 30 minutes, and only the latest one issued for an account works. On success every session of the account is signed out and every API key revoked (`revokedApiKeys` says how many); sign in with the new password. An unknown, used or expired token is 401 and counts towards the address's budget of failed authentications.",
  middleware: [limitByIp("passwordReset")],
  request: {
    body: { required: true, content: { "application/json": { schema: resetPasswordRequestSchema } } },
  },
  responses: {
    200: {
      description: "The password is set; every session and API key of the account has ended",
      content: { "application/json": { schema: passwordResetDoneSchema } },
    },
    ...problemResponses(400, 401, 413, 415, 429, 503),
  },
});

export const postResetPassword = createRouter().openapi(route, async (c) => {
  const { token, newPassword } = c.req.valid("json");
  try {
    const { revokedApiKeys } = await resetPassword(c.get("services"), token, newPassword);
    return c.json({ revokedApiKeys }, 200);
  } catch (err) {
    if (err instanceof InkwellError && err.code === "UNAUTHENTICATED")
      return await failAuthentication(c, err);
    throw err;
  }
});
