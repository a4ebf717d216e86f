import { createRoute } from "@hono/zod-openapi";
import {
  listWritingPromptsQuerySchema,
  pageQuerySchema,
  pageSchema,
  WRITING_PROMPTS,
  writingPromptSchema,
} from "@inkwell/shared";
import { decodeKeyCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireAnyScope } from "../../middleware/auth.ts";

const route = createRoute({
  method: "get",
  path: "/v1/prompts",
  tags: ["Prompts"],
  summary:
    "Built-in writing prompts and templates (gratitude, evening review, worry dump, …), a page at a time",
  description:
    "The same for everyone, in a fixed order; `kind=prompt` (one question) or `kind=template` (headed sections) narrows the list. Readable with `entries:read` or `entries:write`: they hold nothing of anyone's journal.",
  security: [{ bearer: [] }],
  middleware: protect(requireAnyScope("entries:read", "entries:write")),
  request: { query: pageQuerySchema.extend(listWritingPromptsQuerySchema.shape) },
  responses: {
    200: {
      description: "A page of prompts and templates",
      content: { "application/json": { schema: pageSchema(writingPromptSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getPrompts = createRouter().openapi(route, async (c) => {
  const secret = c.get("services").config.JWT_SECRET;
  const { limit, cursor, kind } = c.req.valid("query");
  const all = kind ? WRITING_PROMPTS.filter((p) => p.kind === kind) : WRITING_PROMPTS;
  // Signed for the filter too: a cursor of the templates is refused by the full list.
  const list = `prompts:${kind ?? "all"}`;
  let start = 0;
  if (cursor) {
    const [afterId] = await decodeKeyCursor(secret, list, cursor, 1);
    // A prompt removed since the cursor was issued: the list has moved on, so the page is empty.
    const index = all.findIndex((p) => p.id === afterId);
    start = index === -1 ? all.length : index + 1;
  }
  const items = all.slice(start, start + limit);
  const last = items.at(-1);
  const nextCursor =
    start + limit < all.length && last ? await encodeKeyCursor(secret, list, [last.id]) : null;
  return c.json({ items, nextCursor }, 200);
});
