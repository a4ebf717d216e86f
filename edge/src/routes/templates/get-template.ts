import { createRoute } from "@hono/zod-openapi";
import { writingTemplateSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireAnyScope } from "../../middleware/auth.ts";
import { getTemplate } from "../../services/writing-templates.ts";
import { idParam, templateIdOr404 } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/templates/{id}",
  tags: ["Prompts"],
  summary: "One of your templates",
  security: [{ bearer: [] }],
  middleware: protect(requireAnyScope("entries:read", "entries:write")),
  request: { params: idParam },
  responses: {
    200: { description: "The template", content: { "application/json": { schema: writingTemplateSchema } } },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const getTemplateById = createRouter().openapi(route, async (c) => {
  const id = templateIdOr404(c.req.valid("param").id);
  return c.json(await getTemplate(c.get("services").db, c.get("auth").userId, id), 200);
});
