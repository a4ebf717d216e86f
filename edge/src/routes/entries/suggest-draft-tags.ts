import { createRoute } from "@hono/zod-openapi";
import { draftTagSuggestionRequestSchema, draftTagSuggestionsSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { draftTagSuggestions } from "../../services/tag-suggestions.ts";

const route = createRoute({
  method: "post",
  path: "/v1/entries/suggest-tags",
  tags: ["Entries"],
  summary: "Tags and topics for a draft, before it is saved",
  description:
    "Nothing is stored. The draft's keywords (the extractor an entry's analysis uses, run here, no node needed), your tags whose words the draft has, and your topics sharing its words (one of yours by a word of its name, a discovered one by its name or two of its keywords). Reads your tags and topics, so it needs `entries:read`. Content over 64 KiB answers 413, as for entries.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: {
    body: { required: true, content: { "application/json": { schema: draftTagSuggestionRequestSchema } } },
  },
  responses: {
    200: {
      description: "Suggestions for the draft",
      content: { "application/json": { schema: draftTagSuggestionsSchema } },
    },
    ...problemResponses(400, 401, 403, 409, 413, 415, 429),
  },
});

export const postDraftTagSuggestions = createRouter().openapi(route, async (c) => {
  const { db, dataKeys } = c.get("services");
  return c.json(await draftTagSuggestions(db, dataKeys, c.get("auth").userId, c.req.valid("json")), 200);
});
