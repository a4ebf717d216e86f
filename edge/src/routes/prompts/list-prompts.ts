import { createRoute } from "@hono/zod-openapi";
import {
  type ListedPrompt,
  listedPromptSchema,
  listWritingPromptsQuerySchema,
  pageQuerySchema,
  pageSchema,
  WRITING_PROMPTS,
} from "@inkwell/shared";
import { decodeKeyCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { isUuid } from "../../lib/ids.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireAnyScope } from "../../middleware/auth.ts";
import { listTemplates } from "../../services/writing-templates.ts";

const route = createRoute({
  method: "get",
  path: "/v1/prompts",
  tags: ["Prompts"],
  summary:
    "Built-in writing prompts and templates (gratitude, evening review, worry dump, …) and then your own templates, a page at a time",
  description:
    "The built-ins (`builtIn: true`) are the same for everyone, in a fixed order; your own templates (`POST /v1/templates`, `builtIn: false`) follow them, oldest first. `kind=prompt` (one question) or `kind=template` (headed sections, yours included) narrows the list. Readable with `entries:read` or `entries:write`: they hold nothing of anyone's journal.",
  security: [{ bearer: [] }],
  middleware: protect(requireAnyScope("entries:read", "entries:write")),
  request: { query: pageQuerySchema.extend(listWritingPromptsQuerySchema.shape) },
  responses: {
    200: {
      description: "A page of prompts and templates",
      content: { "application/json": { schema: pageSchema(listedPromptSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getPrompts = createRouter().openapi(route, async (c) => {
  const secret = c.get("services").config.JWT_SECRET;
  const { limit, cursor, kind } = c.req.valid("query");
  const builtIns = kind ? WRITING_PROMPTS.filter((p) => p.kind === kind) : WRITING_PROMPTS;
  const withOwn = kind !== "prompt";
  // Signed for the filter too: a cursor of the templates is refused by the full list.
  const list = `prompts:${kind ?? "all"}`;
  let start = 0;
  // Built-in ids are words, own templates' are UUIDs: the cursor's id says which part it is in.
  let afterOwnId: string | undefined;
  if (cursor) {
    const [afterId = ""] = await decodeKeyCursor(secret, list, cursor, 1);
    if (isUuid(afterId)) {
      start = builtIns.length;
      afterOwnId = afterId;
    } else {
      // A prompt removed since the cursor was issued: the built-ins have moved on, so go to the writer's own.
      const index = builtIns.findIndex((p) => p.id === afterId);
      start = index === -1 ? builtIns.length : index + 1;
    }
  }
  const items: ListedPrompt[] = builtIns
    .slice(start, start + limit + 1)
    .map((p) => ({ ...p, builtIn: true }));
  if (withOwn && items.length <= limit) {
    const own = await listTemplates(c.get("services").db, c.get("auth").userId, {
      ...(afterOwnId ? { afterId: afterOwnId } : {}),
      limit: limit + 1 - items.length,
    });
    items.push(
      ...own.map(({ description: _d, createdAt: _c, updatedAt: _u, ...listed }): ListedPrompt => listed),
    );
  }
  const page = items.slice(0, limit);
  const last = page.at(-1);
  const nextCursor = items.length > limit && last ? await encodeKeyCursor(secret, list, [last.id]) : null;
  return c.json({ items: page, nextCursor }, 200);
});
