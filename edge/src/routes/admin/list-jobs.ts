import { createRoute, z } from "@hono/zod-openapi";
import { jobStatuses, pageQuerySchema, pageSchema } from "@inkwell/shared";
import { and, desc, eq, sql } from "drizzle-orm";
import { jobs } from "../../db/schema/index.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { adminJobSchema, adminOnly, toAdminJob } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/jobs",
  tags: ["Operators"],
  summary: "Jobs of every user, newest first, filtered by status and kind (e.g. ?status=failed)",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: {
    query: z
      .object({ status: z.enum(jobStatuses).optional(), kind: z.string().max(64).optional() })
      .extend(pageQuerySchema.shape),
  },
  responses: {
    200: {
      description: "A page of jobs",
      content: { "application/json": { schema: pageSchema(adminJobSchema) } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

export const getAdminJobs = createRouter().openapi(route, async (c) => {
  const { db, config } = c.get("services");
  const query = c.req.valid("query");
  const after = query.cursor ? await decodeCursor(config.JWT_SECRET, query.cursor) : undefined;
  const rows = await db
    .select()
    .from(jobs)
    .where(
      and(
        query.status ? eq(jobs.status, query.status) : undefined,
        query.kind ? eq(jobs.kind, query.kind) : undefined,
        after
          ? sql`(${jobs.createdAt}, ${jobs.id}) < (${after.at}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return c.json(
    {
      items: page.map(toAdminJob),
      nextCursor:
        rows.length > query.limit && last
          ? await encodeCursor(config.JWT_SECRET, { at: last.createdAt.toISOString(), id: last.id })
          : null,
    },
    200,
  );
});
