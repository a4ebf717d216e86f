import { createRoute } from "@hono/zod-openapi";
import { adminAuditEntrySchema, adminAuditQuerySchema, pageSchema } from "@inkwell/shared";
import { and, desc, eq, sql } from "drizzle-orm";
import { adminAuditLog } from "../../db/schema/index.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { toAuditEntry } from "../../services/admin-audit.ts";
import { adminOnly } from "./common.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const route = createRoute({
  method: "get",
  path: "/v1/admin/audit",
  tags: ["Operators"],
  summary: "What administrators did, newest first: filter by action, target id or actor id",
  description:
    "One row per administrator action that changed something (accounts, nodes, join secrets, jobs, reindexing, password-reset tokens): who, what, on which id, when, and a few facts about it, never entry text, tokens or secrets.",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { query: adminAuditQuerySchema },
  responses: {
    200: {
      description: "A page of the audit log",
      content: { "application/json": { schema: pageSchema(adminAuditEntrySchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getAudit = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const query = c.req.valid("query");
  if (query.actorId !== undefined && !UUID.test(query.actorId)) {
    return c.json({ items: [], nextCursor: null }, 200);
  }
  const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
  const rows = await db
    .select()
    .from(adminAuditLog)
    .where(
      and(
        query.action ? eq(adminAuditLog.action, query.action) : undefined,
        query.targetId ? eq(adminAuditLog.targetId, query.targetId) : undefined,
        query.actorId ? eq(adminAuditLog.actorId, query.actorId) : undefined,
        after
          ? sql`(${adminAuditLog.createdAt}, ${adminAuditLog.id}) < (${after.at}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(adminAuditLog.createdAt), desc(adminAuditLog.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return c.json(
    {
      items: page.map(toAuditEntry),
      nextCursor:
        rows.length > query.limit && last
          ? await encodeCursor(config.JWT_SECRET, { at: last.createdAt.toISOString(), id: last.id })
          : null,
    },
    200,
  );
});
