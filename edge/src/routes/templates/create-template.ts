import { createRoute } from "@hono/zod-openapi";
import { createTemplateRequestSchema, writingTemplateSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { createTemplate } from "../../services/writing-templates.ts";

const route = createRoute({
  method: "post",
  path: "/v1/templates",
  tags: ["Prompts"],
  summary: "Make a template of your own: a title, an opening line, headed sections and tags",
  description:
    "Limits: title 120 characters, body 2,000, at most 20 sections (heading 120, prompt 500), 10 tags, description 200, minutes 1–240 (default 10); at most 50 templates a writer (409 beyond). `GET /v1/prompts` lists them after the built-in ones with `builtIn: false`.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:write")),
  request: {
    body: { required: true, content: { "application/json": { schema: createTemplateRequestSchema } } },
  },
  responses: {
    201: { description: "Made", content: { "application/json": { schema: writingTemplateSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429),
  },
});

export const postTemplate = createRouter().openapi(route, async (c) => {
  const template = await createTemplate(c.get("services").db, c.get("auth").userId, c.req.valid("json"));
  c.header("Location", `/v1/templates/${template.id}`);
  return c.json(template, 201);
});
