import { eq } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { jobs } from "../db/schema/index.ts";

const lockedColumns = { status: jobs.status, userId: jobs.userId, payload: jobs.payload };
export type LockedJob = Pick<typeof jobs.$inferSelect, "status" | "userId" | "payload">;

/**
 * Locks a job row for the node result about to be applied to it. The row lock orders duplicate
 * deliveries of one result: the second waits for the first to commit, then sees `done` and changes
 * nothing.
 */
export async function lockOpenJob(
  tx: Tx,
  jobId: string,
): Promise<{ job: LockedJob } | { outcome: "unknown-job" | "duplicate" }> {
  // Only what the appliers read: this runs for every analysis result.
  const [job] = await tx.select(lockedColumns).from(jobs).where(eq(jobs.id, jobId)).for("update");
  if (!job) return { outcome: "unknown-job" };
  if (job.status === "done") return { outcome: "duplicate" };
  return { job };
}
