import { createRoute } from "@hono/zod-openapi";
import { pageQuerySchema, pageSchema, writingTemplateSchema } from "@inkwell/shared";
import { decodeKeyCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireAnyScope } from "../../middleware/auth.ts";
import { listTemplates } from "../../services/writing-templates.ts";

const route = createRoute({
  method: "get",
  path: "/v1/templates",
  tags: ["Prompts"],
  summary: "Your own templates, oldest first, a page at a time",
  security: [{ bearer: [] }],
  middleware: protect(requireAnyScope("entries:read", "entries:write")),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of your templates",
      content: { "application/json": { schema: pageSchema(writingTemplateSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getTemplates = createRouter().openapi(route, async (c) => {
  const secret = c.get("services").config.JWT_SECRET;
  const { limit, cursor } = c.req.valid("query");
  const afterId = cursor ? (await decodeKeyCursor(secret, "templates", cursor, 1))[0] : undefined;
  const rows = await listTemplates(c.get("services").db, c.get("auth").userId, {
    ...(afterId ? { afterId } : {}),
    limit: limit + 1,
  });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor =
    rows.length > limit && last ? await encodeKeyCursor(secret, "templates", [last.id]) : null;
  return c.json({ items, nextCursor }, 200);
});
