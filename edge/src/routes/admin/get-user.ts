import { createRoute } from "@hono/zod-openapi";
import { adminUserDetailSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { getAdminUser } from "../../services/user-admin.ts";
import { adminOnly, idParam, uuidOr404 } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/users/{id}",
  tags: ["Operators"],
  summary:
    "One account with counts of what it holds (entries, chats, live sign-ins, API keys), never its contents",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: {
    200: { description: "The account", content: { "application/json": { schema: adminUserDetailSchema } } },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const getAdminUserRoute = createRouter().openapi(route, async (c) => {
  const id = uuidOr404(c.req.valid("param").id, "user");
  return c.json(await getAdminUser(c.get("services"), id), 200);
});
