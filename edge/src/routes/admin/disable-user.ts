import { createRoute } from "@hono/zod-openapi";
import { adminUserSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { setUserDisabled } from "../../services/user-admin.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const disableRoute = createRoute({
  method: "post",
  path: "/v1/admin/users/{id}/disable",
  tags: ["Operators"],
  summary:
    "Disable an account: it cannot sign in, refresh, or use its API keys or access tokens (403 ACCOUNT_DISABLED)",
  description:
    "Every signed-in session ends at once. Nothing of the account is deleted, and its API keys work again once it is enabled. An administrator cannot disable their own account (409). Disabling a disabled account changes nothing.",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: {
    200: {
      description: "The account, disabled",
      content: { "application/json": { schema: adminUserSchema } },
    },
    ...problemResponses(401, 403, 404, 409, 429),
  },
});

const enableRoute = createRoute({
  method: "post",
  path: "/v1/admin/users/{id}/enable",
  tags: ["Operators"],
  summary: "Enable a disabled account again: its owner signs in anew, and its API keys work again",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: {
    200: {
      description: "The account, enabled",
      content: { "application/json": { schema: adminUserSchema } },
    },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const disableUser = createRouter()
  .openapi(disableRoute, async (c) => {
    const id = uuidOr404(c.req.valid("param").id, "user");
    return c.json(await setUserDisabled(c.get("services"), id, c.get("auth").userId, true), 200);
  })
  .openapi(enableRoute, async (c) => {
    const id = uuidOr404(c.req.valid("param").id, "user");
    return c.json(await setUserDisabled(c.get("services"), id, c.get("auth").userId, false), 200);
  });
