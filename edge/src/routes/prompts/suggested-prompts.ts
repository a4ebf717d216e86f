import { createRoute } from "@hono/zod-openapi";
import { isValidTimeZone, pageQuerySchema, pageSchema, suggestedPromptSchema } from "@inkwell/shared";
import { decodeKeyCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { suggestPrompts } from "../../services/prompt-suggestions.ts";

const route = createRoute({
  method: "get",
  path: "/v1/prompts/suggested",
  tags: ["Prompts"],
  summary: "Prompts suggested from your own patterns, each saying why",
  description:
    "Composed from your journal, no model: a mood that moved (the moods you gave your entries and mood check-ins in the last two weeks against the four before, or the entries' analysed sentiment when too few were rated), a thinking pattern that keeps coming back in your analysed entries, a topic you wrote about several times and not for three weeks. Each carries `why`, in plain words, and `basis`, the facts behind it. After entries read at high or critical risk the only suggestion is a check-in with crisis resources. Dates in `why` are in your time zone.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: pageQuerySchema },
  responses: {
    200: {
      description: "Suggested prompts, best first (often none)",
      content: { "application/json": { schema: pageSchema(suggestedPromptSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

/** The name the suggestion list's cursors are signed for. */
const SUGGESTED_CURSOR = "suggested-prompts";

export const getSuggestedPrompts = createRouter().openapi(route, async (c) => {
  const { db, config, dataKeys } = c.get("services");
  const { userId, timezone: stored } = c.get("auth");
  const { limit, cursor } = c.req.valid("query");
  const all = await suggestPrompts(db, dataKeys, userId, isValidTimeZone(stored) ? stored : "UTC");
  let start = 0;
  if (cursor) {
    const [afterId] = await decodeKeyCursor(config.JWT_SECRET, SUGGESTED_CURSOR, cursor, 1);
    // Suggestions are computed afresh: one gone since the cursor was issued ends the list.
    const index = all.findIndex((p) => p.id === afterId);
    start = index === -1 ? all.length : index + 1;
  }
  const items = all.slice(start, start + limit);
  const last = items.at(-1);
  const nextCursor =
    start + limit < all.length && last
      ? await encodeKeyCursor(config.JWT_SECRET, SUGGESTED_CURSOR, [last.id])
      : null;
  return c.json({ items, nextCursor }, 200);
});
