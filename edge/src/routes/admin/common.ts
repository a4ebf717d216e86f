import { z } from "@hono/zod-openapi";
import { InkwellError, jobSchema } from "@inkwell/shared";
import type { jobs } from "../../db/schema/index.ts";
import { protect, requireScope } from "../../middleware/auth.ts";

/** Every operator route: a signed-in admin, or an API key with the admin scope (of an admin). */
export const adminOnly = () => protect(requireScope("admin"));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const idParam = z.object({ id: z.string().max(64) });

export function uuidOr404(id: string, what: string): string {
  if (!UUID.test(id)) throw new InkwellError("NOT_FOUND", `No ${what} with that id.`);
  return id;
}

export const adminJobSchema = jobSchema.extend({
  userId: z.string().nullable(),
  startedAt: z.string().nullable(),
  messageId: z.string().nullable(),
});

export function toAdminJob(job: typeof jobs.$inferSelect): z.infer<typeof adminJobSchema> {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    attempts: job.attempts,
    nodeId: job.nodeId,
    entryId: job.entryId,
    userId: job.userId,
    messageId: job.messageId,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    error: job.error,
  };
}
