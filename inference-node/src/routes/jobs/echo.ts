import { InkwellError } from "@inkwell/shared";
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { zodFieldErrors } from "../../plugins/error-handler.ts";

export const echoJobSchema = z.object({
  jobId: z.string().min(1),
  kind: z.string().min(1),
  payload: z.unknown().optional(),
});

/** Diagnostic job: proves the edge → QStash → node path works end to end without touching a model. */
export const echoJobRoute: FastifyPluginAsync = async (fastify) => {
  fastify.post("/jobs/echo", async (request) => {
    const parsed = echoJobSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The job body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    request.log.info({ jobId: parsed.data.jobId, kind: parsed.data.kind }, "echo job received");
    return {
      ok: true as const,
      jobId: parsed.data.jobId,
      receivedAt: new Date().toISOString(),
      bytes: Buffer.byteLength(request.rawBody ?? "", "utf8"),
    };
  });
};
