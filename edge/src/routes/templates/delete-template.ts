import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { deleteTemplate } from "../../services/writing-templates.ts";
import { idParam, templateIdOr404 } from "./common.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/templates/{id}",
  tags: ["Prompts"],
  summary: "Delete one of your templates; entries written from it are not touched",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 429) },
});

export const removeTemplate = createRouter().openapi(route, async (c) => {
  await deleteTemplate(c.get("services").db, c.get("auth").userId, templateIdOr404(c.req.valid("param").id));
  return c.body(null, 204);
});
