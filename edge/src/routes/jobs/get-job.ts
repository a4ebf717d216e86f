import { createRoute } from "@hono/zod-openapi";
import { type ApiScope, DISCOVER_TOPICS_JOB, InkwellError, jobSchema } from "@inkwell/shared";
import { and, eq } from "drizzle-orm";
import { jobs } from "../../db/schema/index.ts";
import { idOr404, idParam } from "../../lib/ids.ts";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireAnyScope } from "../../middleware/auth.ts";
import { ANALYZE_ENTRY_JOB, PURGE_ENTRY_VECTORS_JOB } from "../../services/entries.ts";
import { WRITE_REFLECTION_JOB } from "../../services/reflection-jobs.ts";
import { REFLECTION_JOB } from "../../services/reflections.ts";
import { TITLE_SESSION_JOB } from "../../services/session-title-job.ts";

/**
 * The scope of the operations that start each kind of job a user causes. A key may poll a job it could
 * have started (an `ai` key the reflection it asked for, an `entries:write` key its entry's analysis);
 * `entries:read` reads every job of its user, as it always has.
 */
const STARTED_WITH: Readonly<Record<string, Exclude<ApiScope, "admin">>> = {
  [ANALYZE_ENTRY_JOB]: "entries:write",
  [PURGE_ENTRY_VECTORS_JOB]: "entries:write",
  [REFLECTION_JOB]: "ai",
  [WRITE_REFLECTION_JOB]: "ai",
  [DISCOVER_TOPICS_JOB]: "ai",
  [TITLE_SESSION_JOB]: "ai",
};

function mayRead(scopes: readonly ApiScope[], kind: string): boolean {
  const startedWith = STARTED_WITH[kind];
  return scopes.includes("entries:read") || (startedWith !== undefined && scopes.includes(startedWith));
}

/**
 * What a user is told about a job: fixed sentences for waiting and failure (the stored reason names
 * QStash, node answers and node ids: for administrators, through `/v1/admin/jobs`), and the edge's own
 * notes on a finished job (a result discarded after an edit, a fallback that was stored instead).
 */
export function userFacingJobNote(job: { status: string; error: string | null }): string | null {
  if (job.status === "queued") {
    // Says why it waits, so a user can tell "slow" from "stuck".
    return "Waiting for a healthy inference node; the job runs as soon as one is available.";
  }
  if (job.status === "failed") {
    return "The job could not be completed after several attempts. An administrator can see why and retry it.";
  }
  if (job.status === "done") return job.error;
  return null;
}

const route = createRoute({
  method: "get",
  path: "/v1/jobs/{id}",
  tags: ["Jobs"],
  summary: "State of a background job (analysis, reflection, …) you caused",
  description:
    "Readable with `entries:read` (any of your jobs) or with the scope that starts the job's kind: `entries:write` for an entry's analysis, `ai` for a reflection, a topic discovery or a session title.",
  security: [{ bearer: [] }],
  middleware: protect(requireAnyScope("entries:read", "entries:write", "ai")),
  request: { params: idParam() },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: jobSchema } } },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const getJob = createRouter().openapi(route, async (c) => {
  const id = idOr404(c.req.valid("param").id, "No job with that id.");
  const [job] = await c
    .get("services")
    .db.select()
    .from(jobs)
    .where(and(eq(jobs.id, id), eq(jobs.userId, c.get("auth").userId)))
    .limit(1);
  if (!job) throw new InkwellError("NOT_FOUND", "No job with that id.");
  const { scopes } = c.get("auth");
  if (!mayRead(scopes, job.kind)) {
    const needed = ["entries:read", ...(STARTED_WITH[job.kind] ? [STARTED_WITH[job.kind]] : [])];
    throw new InkwellError("FORBIDDEN", `Reading this job needs one of the scopes ${needed.join(", ")}.`, {
      headers: {
        "WWW-Authenticate": `Bearer realm="inkwell", error="insufficient_scope", scope="${needed.join(" ")}"`,
      },
    });
  }
  return c.json(
    {
      id: job.id,
      kind: job.kind,
      status: job.status,
      attempts: job.attempts,
      nodeId: job.nodeId,
      entryId: job.entryId,
      createdAt: job.createdAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString() ?? null,
      error: userFacingJobNote(job),
    },
    200,
  );
});
