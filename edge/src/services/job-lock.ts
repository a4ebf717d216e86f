import { eq } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { jobs } from "../db/schema/index.ts";

export type JobRow = typeof jobs.$inferSelect;

/**
 * Locks a job row for the node result about to be applied to it. The row lock orders duplicate
 * deliveries of one result: the second waits for the first to commit, then sees `done` and changes
 * nothing.
 */
export async function lockOpenJob(
  tx: Tx,
  jobId: string,
): Promise<{ job: JobRow } | { outcome: "unknown-job" | "duplicate" }> {
  const [job] = await tx.select().from(jobs).where(eq(jobs.id, jobId)).for("update");
  if (!job) return { outcome: "unknown-job" };
  if (job.status === "done") return { outcome: "duplicate" };
  return { job };
}
