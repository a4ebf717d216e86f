import { createRoute } from "@hono/zod-openapi";
import { issuedPasswordResetSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { recordAdminAction } from "../../services/admin-audit.ts";
import { issuePasswordReset } from "../../services/password-reset.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/admin/users/{id}/password-reset",
  tags: ["Operators"],
  summary: "Issue a one-time password-reset token for a user (password recovery without email)",
  description:
    "The token is shown only in this answer (with the operator's reset page as `url` when `PASSWORD_RESET_URL` is set); hand it to the person, who sets a new password with `POST /v1/auth/reset-password` within 30 minutes. It works once, and issuing another ends it. Nothing changes for the account until it is used.",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: {
    201: { description: "Issued", content: { "application/json": { schema: issuedPasswordResetSchema } } },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const postPasswordReset = createRouter().openapi(route, async (c) => {
  const id = uuidOr404(c.req.valid("param").id, "user");
  const actorId = c.get("auth").userId;
  const issued = await issuePasswordReset(c.get("services"), id, actorId, (tx) =>
    recordAdminAction(tx, { actorId, action: "user.password-reset", targetType: "user", targetId: id }),
  );
  c.header("Cache-Control", "no-store");
  return c.json(issued, 201);
});
