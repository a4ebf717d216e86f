import { createRoute, z } from "@hono/zod-openapi";
import { InkwellError, searchResultSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { findEntry } from "../../services/entries.ts";
import { relatedEntries } from "../../services/semantic-search.ts";
import { entryIdFrom, idParam } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/entries/{id}/related",
  tags: ["Entries"],
  summary: "Your entries nearest in meaning to this one",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { params: idParam, query: z.object({ limit: z.coerce.number().int().min(1).max(50).default(5) }) },
  responses: {
    200: {
      description: "Related entries, best first (empty until the entry has been analysed)",
      content: { "application/json": { schema: searchResultSchema.omit({ mode: true }) } },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const getRelated = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const userId = c.get("auth").userId;
  const id = entryIdFrom(c);
  if (!(await findEntry(services.db, services.dataKeys, userId, id)))
    throw new InkwellError("NOT_FOUND", "No entry with that id.");
  const result = await relatedEntries(services, userId, id, c.req.valid("query").limit, c.get("requestId"));
  return c.json(result, 200);
});
