import { createRoute } from "@hono/zod-openapi";
import { logoutRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { limitByIp } from "../../middleware/rate-limit.ts";
import { revokeFamilyOf } from "../../services/sessions.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  tags: ["Auth"],
  summary: "Sign out this session (revokes the refresh token's whole family)",
  description: "Answers 204 for any token, known or not, so it reveals nothing about tokens.",
  middleware: [limitByIp("anonymous")],
  request: { body: { required: true, content: { "application/json": { schema: logoutRequestSchema } } } },
  responses: {
    204: { description: "Signed out" },
    ...problemResponses(400, 413, 415, 429),
  },
});

export const logout = createRouter().openapi(route, async (c) => {
  await revokeFamilyOf(c.get("services"), c.req.valid("json").refreshToken);
  return c.body(null, 204);
});
