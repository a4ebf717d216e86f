import { createRoute } from "@hono/zod-openapi";
import { listReflectionsQuerySchema, pageQuerySchema, pageSchema, reflectionSchema } from "@inkwell/shared";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireAnyScope } from "../../middleware/auth.ts";
import { listReflections } from "../../services/reflection-requests.ts";

const route = createRoute({
  method: "get",
  path: "/v1/insights/reflections",
  tags: ["Insights"],
  summary: "Your reflections, newest period first",
  description: "Needs `entries:read` or `ai`. Optional `period=week|month` filter; cursor-paginated.",
  security: [{ bearer: [] }],
  middleware: protect(requireAnyScope("entries:read", "ai")),
  request: { query: listReflectionsQuerySchema.extend(pageQuerySchema.shape) },
  responses: {
    200: {
      description: "A page of reflections",
      content: { "application/json": { schema: pageSchema(reflectionSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getReflections = createRouter().openapi(route, async (c) => {
  const { db, config, dataKeys } = c.get("services");
  const query = c.req.valid("query");
  const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
  const { items, last } = await listReflections(db, dataKeys, c.get("auth").userId, {
    limit: query.limit,
    period: query.period,
    after,
  });
  // Not cached: a reflection changes state in the background, and this is one indexed read.
  c.header("Cache-Control", "private, no-store");
  return c.json({ items, nextCursor: last ? await encodeCursor(config.JWT_SECRET, last) : null }, 200);
});
