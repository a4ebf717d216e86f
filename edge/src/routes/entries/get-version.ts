import { createRoute } from "@hono/zod-openapi";
import { entryVersionSchema, InkwellError } from "@inkwell/shared";
import { matchesIfNoneMatch } from "../../lib/etag.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { findVersion } from "../../services/entry-versions.ts";
import { entryIdFrom, versionParams, withEtag } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/entries/{id}/versions/{version}",
  tags: ["Entries"],
  summary: "Read one version of an entry",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { params: versionParams },
  responses: {
    200: { description: "The version", content: { "application/json": { schema: entryVersionSchema } } },
    304: { description: "Not modified (If-None-Match)" },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const getEntryVersion = createRouter().openapi(route, async (c) => {
  const { db } = c.get("services");
  const userId = c.get("auth").userId;
  const id = entryIdFrom(c);
  const { version } = c.req.valid("param");
  const found = await findVersion(db, userId, id, version);
  if (!found) throw new InkwellError("NOT_FOUND", "No such version of an entry of yours.");
  const etag = await withEtag(c, found);
  if (matchesIfNoneMatch(c, etag)) return c.body(null, 304);
  return c.json(found, 200);
});
