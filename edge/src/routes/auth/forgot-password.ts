import { createRoute } from "@hono/zod-openapi";
import { forgotPasswordAcceptedSchema, forgotPasswordRequestSchema, sha256Hex } from "@inkwell/shared";
import { afterResponse } from "../../lib/after-response.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { enforceRateLimit, policies } from "../../lib/rate-limit.ts";
import { limitByIp } from "../../middleware/rate-limit.ts";
import { mailPasswordReset } from "../../services/password-reset.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/forgot-password",
  tags: ["Auth"],
  summary: "Ask for a password-reset link by email",
  description:
    "Always 202 with the same body, whether or not an account has the address and whether or not the server can send mail: the answer never tells who has an account. When the operator configured a mail provider (`MAIL_API_URL`), an account that may sign in gets a one-time token, valid for 30 minutes, by mail; use it with `POST /v1/auth/reset-password`. Without one nothing is sent: an administrator issues the token instead (`POST /v1/admin/users/{id}/password-reset`). Limited per address (10 an hour, shared with resets) and per email asked for (3 an hour).",
  middleware: [limitByIp("passwordReset")],
  request: {
    body: { required: true, content: { "application/json": { schema: forgotPasswordRequestSchema } } },
  },
  responses: {
    202: {
      description: "Accepted; a mail goes out only when the account exists and mail is configured",
      content: { "application/json": { schema: forgotPasswordAcceptedSchema } },
    },
    ...problemResponses(400, 413, 415, 429, 503),
  },
});

export const forgotPassword = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const { email } = c.req.valid("json");
  // Counted whether or not the account exists, so the limit itself tells nothing either.
  await enforceRateLimit(c, policies(services.config).passwordResetMail, await sha256Hex(email));
  // After the response: looking the account up and mailing would otherwise show in its timing.
  afterResponse(c, "password reset mail not sent", mailPasswordReset(services, email));
  return c.json({ accepted: true as const }, 202);
});
