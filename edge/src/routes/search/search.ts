import { createRoute } from "@hono/zod-openapi";
import { searchQuerySchema, searchResultSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { keywordSearch } from "../../services/keyword-search.ts";

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
  const query = c.req.valid("query");
  const hits = await keywordSearch(c.get("services").db, c.get("auth").userId, query);
  return c.json(
    {
      items: hits.map(({ score, ...entry }) => ({ entry, score })),
      mode: query.mode,
      // Query embedding on the nodes is not wired in yet, so meaning-based modes answer with keyword
      // results and say so, as the contract prescribes when no node can embed the query.
      degraded: query.mode !== "keyword",
    },
    200,
  );
});
