import { createRoute } from "@hono/zod-openapi";
import { searchQuerySchema, searchResultSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { searchJournal } from "../../services/semantic-search.ts";

const route = createRoute({
  method: "get",
  path: "/v1/search",
  tags: ["Search"],
  summary: "Search your journal by keyword, by meaning, or both",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("ai")),
  request: { query: searchQuerySchema },
  responses: {
    200: { description: "Ranked results", content: { "application/json": { schema: searchResultSchema } } },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const search = createRouter().openapi(route, async (c) => {
  const { mode, ...query } = c.req.valid("query");
  const result = await searchJournal(
    c.get("services"),
    c.get("auth").userId,
    mode,
    query,
    c.get("requestId"),
  );
  return c.json({ ...result, mode }, 200);
});
