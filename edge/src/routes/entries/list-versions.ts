import { createRoute } from "@hono/zod-openapi";
import { entryVersionSchema, InkwellError, pageQuerySchema, pageSchema } from "@inkwell/shared";
import { decodeKeyCursor, encodeKeyCursor } from "../../lib/cursor.ts";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { listVersions } from "../../services/entry-versions.ts";
import { entryIdFrom, idParam, withEtag } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/entries/{id}/versions",
  tags: ["Entries"],
  summary: "List an entry's versions, newest first",
  description:
    "Every title and content the entry has had, its current one included (`current: true`): creating the " +
    "entry writes version 1, and every change of title or content, a restore included, writes the next.",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { params: idParam, query: pageQuerySchema },
  responses: {
    200: {
      description: "A page of versions",
      content: { "application/json": { schema: pageSchema(entryVersionSchema) } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const getEntryVersions = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const userId = c.get("auth").userId;
  const id = entryIdFrom(c);
  const { limit, cursor } = c.req.valid("query");
  // The cursor is signed with the entry's id, so one entry's cursor cannot page through another's.
  const list = `entry-versions:${id}`;
  const before = cursor ? Number((await decodeKeyCursor(config.JWT_SECRET, list, cursor, 1))[0]) : undefined;
  const page = await listVersions(db, userId, id, { limit, before });
  if (!page) throw new InkwellError("NOT_FOUND", "No entry with that id.");
  const last = page.items.at(-1);
  const body = {
    items: page.items,
    nextCursor:
      page.more && last ? await encodeKeyCursor(config.JWT_SECRET, list, [String(last.version)]) : null,
  };
  const etag = await withEtag(c, body);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
});
