import { createRoute } from "@hono/zod-openapi";
import { InkwellError } from "@inkwell/shared";
import { and, eq } from "drizzle-orm";
import { entryAnalyses, jobs } from "../../db/schema/index.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { invalidateUserViews } from "../../lib/view-cache.ts";
import { recordAdminAction } from "../../services/admin-audit.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { pipelineDeps } from "../../services/pipeline-context.ts";
import { adminJobSchema, adminOnly, idParam, toAdminJob, uuidOr404 } from "./common.ts";

const route = createRoute({
  method: "post",
  path: "/v1/admin/jobs/{id}/retry",
  tags: ["Operators"],
  summary: "Run a failed job again, with a fresh set of attempts",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  request: { params: idParam },
  responses: {
    202: {
      description: "Queued again and dispatched",
      content: { "application/json": { schema: adminJobSchema } },
    },
    ...problemResponses(401, 403, 404, 409, 429),
  },
});

export const retryJob = createRouter().openapi(route, async (c) => {
  const { db, redis } = c.get("services");
  const id = uuidOr404(c.req.valid("param").id, "job");
  const now = new Date();
  const actorId = c.get("auth").userId;
  // The reset, the entry's pending state and the audit row commit together; caches and QStash after.
  const { job, pendingFor } = await db.transaction(async (tx) => {
    const [reset] = await tx
      .update(jobs)
      .set({
        status: "queued",
        attempts: 0,
        nodeId: null,
        error: null,
        finishedAt: null,
        startedAt: null,
        availableAt: now,
        updatedAt: now,
      })
      .where(and(eq(jobs.id, id), eq(jobs.status, "failed")))
      .returning();
    if (!reset) {
      const [existing] = await tx.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, id)).limit(1);
      if (!existing) throw new InkwellError("NOT_FOUND", "No job with that id.");
      throw new InkwellError("CONFLICT", `Only failed jobs can be retried; this one is ${existing.status}.`);
    }
    // The entry shows pending again while the retry runs (unless it was edited meanwhile).
    const pending = reset.entryId
      ? await tx
          .update(entryAnalyses)
          .set({ status: "pending", error: null, updatedAt: now })
          .where(and(eq(entryAnalyses.entryId, reset.entryId), eq(entryAnalyses.status, "failed")))
          .returning({ userId: entryAnalyses.userId })
      : [];
    await recordAdminAction(tx, {
      actorId,
      action: "job.retry",
      targetType: "job",
      targetId: id,
      detail: { kind: reset.kind },
    });
    return { job: reset, pendingFor: pending[0]?.userId ?? null };
  });
  if (pendingFor) await invalidateUserViews(redis, pendingFor);
  await dispatchJob(pipelineDeps(c), id);
  const [current] = await db.select().from(jobs).where(eq(jobs.id, id)).limit(1);
  return c.json(toAdminJob(current ?? job), 202);
});
