import { createRoute } from "@hono/zod-openapi";
import { adminUserListQuerySchema, adminUserSchema, pageSchema } from "@inkwell/shared";
import { and, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { users } from "../../db/schema/index.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { toAdminUser } from "../../services/user-admin.ts";
import { adminOnly } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/users",
  tags: ["Operators"],
  summary:
    "Accounts, newest first: search by a part of the email (?q=), only disabled ones (?disabled=true), by role",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { query: adminUserListQuerySchema },
  responses: {
    200: {
      description: "A page of accounts",
      content: { "application/json": { schema: pageSchema(adminUserSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getAdminUsers = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const query = c.req.valid("query");
  const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
  const rows = await db
    .select()
    .from(users)
    .where(
      and(
        isNull(users.deletedAt),
        // A plain substring, case-insensitive: no LIKE patterns to escape.
        query.q ? sql`strpos(lower(${users.email}), ${query.q.toLowerCase()}) > 0` : undefined,
        query.disabled === "true" ? isNotNull(users.disabledAt) : undefined,
        query.disabled === "false" ? isNull(users.disabledAt) : undefined,
        query.role ? eq(users.role, query.role) : undefined,
        after
          ? sql`(${users.createdAt}, ${users.id}) < (${after.at}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return c.json(
    {
      items: page.map(toAdminUser),
      nextCursor:
        rows.length > query.limit && last
          ? await encodeCursor(config.JWT_SECRET, { at: last.createdAt.toISOString(), id: last.id })
          : null,
    },
    200,
  );
});
