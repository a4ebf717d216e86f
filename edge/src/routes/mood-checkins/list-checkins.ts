import { createRoute } from "@hono/zod-openapi";
import { moodCheckinListQuerySchema, moodCheckinSchema, pageSchema } from "@inkwell/shared";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { listMoodCheckins, toMoodCheckin } from "../../services/mood-checkins.ts";

const route = createRoute({
  method: "get",
  path: "/v1/mood-checkins",
  tags: ["Entries"],
  summary: "Your mood check-ins, newest first, in [from, to)",
  security: [{ bearer: [] }],
  middleware: protect(requireScope("entries:read")),
  request: { query: moodCheckinListQuerySchema },
  responses: {
    200: {
      description: "A page of check-ins",
      content: { "application/json": { schema: pageSchema(moodCheckinSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getMoodCheckins = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const query = c.req.valid("query");
  const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
  const rows = await listMoodCheckins(db, c.get("auth").userId, {
    ...(query.from ? { from: new Date(query.from) } : {}),
    ...(query.to ? { to: new Date(query.to) } : {}),
    ...(after ? { after } : {}),
    limit: query.limit,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  c.header("Cache-Control", "no-store");
  return c.json(
    {
      items: page.map(toMoodCheckin),
      nextCursor:
        rows.length > query.limit && last
          ? await encodeCursor(config.JWT_SECRET, { at: last.at.toISOString(), id: last.id })
          : null,
    },
    200,
  );
});
