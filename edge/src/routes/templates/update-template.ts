import { createRoute } from "@hono/zod-openapi";
import { updateTemplateRequestSchema, writingTemplateSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { updateTemplate } from "../../services/writing-templates.ts";
import { idParam, templateIdOr404 } from "./common.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/templates/{id}",
  tags: ["Prompts"],
  summary: "Change one of your templates (any of its fields; the same limits as making one)",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: {
    params: idParam,
    body: { required: true, content: { "application/json": { schema: updateTemplateRequestSchema } } },
  },
  responses: {
    200: { description: "The template", content: { "application/json": { schema: writingTemplateSchema } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 429),
  },
});

export const patchTemplate = createRouter().openapi(route, async (c) => {
  const id = templateIdOr404(c.req.valid("param").id);
  const template = await updateTemplate(c.get("services").db, c.get("auth").userId, id, c.req.valid("json"));
  return c.json(template, 200);
});
