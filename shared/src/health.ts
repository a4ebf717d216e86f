import { z } from "zod";

export const checkStatusSchema = z.enum(["ok", "degraded", "fail"]);

export const readinessCheckSchema = z.object({
  status: checkStatusSchema,
  latencyMs: z.number().optional(),
  detail: z.string().optional(),
});

/**
 * `fail` (HTTP 503) when the edge cannot do its job: no database, no queue, or a schema behind the edge. A missing cache or zero
 * healthy nodes is `degraded` (HTTP 200): reads go uncached and jobs wait for a node.
 */
export const readinessSchema = z.object({
  status: z.enum(["ok", "degraded", "fail"]),
  checks: z.object({
    database: readinessCheckSchema,
    cache: readinessCheckSchema,
    queue: readinessCheckSchema,
    nodes: readinessCheckSchema.extend({ healthy: z.number().int() }),
    /** `fail` when the database lacks migrations this edge needs ("schema behind"). */
    schema: readinessCheckSchema.extend({ expected: z.string(), applied: z.number().int() }),
  }),
});
export type Readiness = z.infer<typeof readinessSchema>;
export type ReadinessCheck = z.infer<typeof readinessCheckSchema>;
