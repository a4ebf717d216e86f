import { createRoute } from "@hono/zod-openapi";
import { userSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect } from "../../middleware/auth.ts";
import { getUser, toUserView } from "../../services/accounts.ts";

const route = createRoute({
  method: "get",
  path: "/v1/me",
  tags: ["Account"],
  summary: "The signed-in account",
  security: [{ bearer: [] }],
  middleware: protect(),
  responses: {
    200: { description: "The account", content: { "application/json": { schema: userSchema } } },
    ...problemResponses(401, 429),
  },
});

export const getMe = createRouter().openapi(route, async (c) => {
  const user = await getUser(c.get("services").db, c.get("auth").userId);
  return c.json(toUserView(user), 200);
});
