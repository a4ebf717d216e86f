import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireScope } from "../../middleware/auth.ts";
import { getUser, toUserView } from "../../services/accounts.ts";
import { exportStream } from "../../services/export.ts";

const route = createRoute({
  method: "get",
  path: "/v1/me/export",
  tags: ["Account"],
  summary: "Everything you have, as one JSON document or one Markdown document, streamed",
  description:
    "Holds entries and chat transcripts, so an API key needs both `entries:read` and `ai` (docs/scopes.md).",
  security: [{ bearer: [] }],
  // Chat sessions are otherwise readable only with `ai`: an `entries:read` key must not read them here.
  middleware: protect(requireScope("entries:read"), requireScope("ai")),
  request: {
    query: z.object({
      format: z.enum(["json", "markdown"], { error: "format must be json or markdown" }).default("json"),
    }),
  },
  responses: {
    200: {
      description: "The export (`application/json` or `text/markdown`), sent as an attachment",
      content: {
        "application/json": { schema: z.object({}).passthrough() },
        "text/markdown": { schema: z.string() },
      },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getExport = createRouter().openapi(route, async (c) => {
  const { format } = c.req.valid("query");
  const { db, dataKeys } = c.get("services");
  const row = await getUser(db, c.get("auth").userId);
  const user = toUserView(row);
  // Every stored preference, with the ones PATCH /v1/me sets always present.
  const settings = { ...row.settings, timezone: row.timezone, weeklyReflection: row.weeklyReflection };
  const stamp = new Date().toISOString().slice(0, 10);
  const stream = exportStream(db, dataKeys, user, format, settings);
  return c.body(stream, 200, {
    "Content-Type": format === "json" ? "application/json; charset=utf-8" : "text/markdown; charset=utf-8",
    "Content-Disposition": `attachment; filename="inkwell-export-${stamp}.${format === "json" ? "json" : "md"}"`,
    "Cache-Control": "no-store",
  });
});
