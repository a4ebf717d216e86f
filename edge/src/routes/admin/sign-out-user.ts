import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { forceSignOut } from "../../services/user-admin.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/admin/users/{id}/sign-out",
  tags: ["Operators"],
  summary: "Sign an account out everywhere, as its owner's logout-all does",
  description:
    "Every refresh token is revoked and access tokens already issued stop working on their next request. API keys are not touched (disable the account to stop them).",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: { 204: { description: "Signed out everywhere" }, ...problemResponses(401, 403, 404, 429) },
});

export const signOutUser = createRouter().openapi(route, async (c) => {
  const id = uuidOr404(c.req.valid("param").id, "user");
  await forceSignOut(c.get("services"), id, c.get("auth").userId);
  return c.body(null, 204);
});
