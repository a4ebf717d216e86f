import { createRoute } from "@hono/zod-openapi";
import { entryTagSuggestionsSchema, suggestedTagsQuerySchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { entryTagSuggestions } from "../../services/tag-suggestions.ts";
import { entryIdFrom, idParam } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/entries/{id}/suggested-tags",
  tags: ["Entries"],
  summary: "Tags this entry might carry: your own tags its text has, its discovered topics and its keywords",
  description:
    'From the entry\'s finished analysis (`basis: "analysis"`: keywords and discovered topics), or, while the analysis is pending or failed, from keywords of its current text (`basis: "text"`), with your tags whose words the text has first; never a tag the entry already has. To accept some, `PATCH /v1/entries/{id}` with `tags` set to the answer\'s `tags` plus the ones chosen (with `If-Match` to keep a concurrent edit).',
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { params: idParam, query: suggestedTagsQuerySchema },
  responses: {
    200: {
      description: "Suggested tags, best first",
      content: { "application/json": { schema: entryTagSuggestionsSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const getSuggestedTags = createRouter().openapi(route, async (c) => {
  const { db, dataKeys } = c.get("services");
  const id = entryIdFrom(c);
  const answer = await entryTagSuggestions(
    db,
    dataKeys,
    c.get("auth").userId,
    id,
    c.req.valid("query").limit,
  );
  return c.json(answer, 200);
});
