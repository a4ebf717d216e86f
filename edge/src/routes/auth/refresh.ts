import { createRoute } from "@hono/zod-openapi";
import { authTokensSchema, refreshRequestSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { limitByIp } from "../../middleware/rate-limit.ts";
import { getUser, toUserView } from "../../services/accounts.ts";
import { rotateRefreshToken } from "../../services/sessions.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  tags: ["Auth"],
  summary: "Exchange a refresh token for a new pair",
  description:
    "Refresh tokens are single-use. Presenting one that was already used revokes every token of its sign-in (401). A token of an account an administrator disabled gets 403 ACCOUNT_DISABLED.",
  middleware: [limitByIp("anonymous")],
  request: { body: { required: true, content: { "application/json": { schema: refreshRequestSchema } } } },
  responses: {
    200: { description: "A new token pair", content: { "application/json": { schema: authTokensSchema } } },
    ...problemResponses(400, 401, 403, 413, 415, 429),
  },
});

export const refresh = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const { userId, ...tokens } = await rotateRefreshToken(services, c.req.valid("json").refreshToken);
  const user = await getUser(services.db, userId);
  return c.json({ user: toUserView(user), ...tokens, tokenType: "Bearer" as const }, 200);
});
