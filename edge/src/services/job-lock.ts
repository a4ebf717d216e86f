import { eq } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { jobs } from "../db/schema/index.ts";
import { lockEntries, lockWriter } from "./writer-locks.ts";

const lockedColumns = { status: jobs.status, userId: jobs.userId, payload: jobs.payload };
export type LockedJob = Pick<typeof jobs.$inferSelect, "status" | "userId" | "payload">;

/**
 * Takes the locks that come before a job's own in the lock order (writer-locks.ts): its writer's row,
 * then its entry's. Whose a job is and which entry it is about never change, so they are read without a
 * lock first. Answers false when the job does not exist.
 */
export async function lockJobOwners(tx: Tx, jobId: string): Promise<boolean> {
  const [owners] = await tx
    .select({ userId: jobs.userId, entryId: jobs.entryId })
    .from(jobs)
    .where(eq(jobs.id, jobId))
    .limit(1);
  if (!owners) return false;
  if (owners.userId) await lockWriter(tx, owners.userId);
  if (owners.entryId) await lockEntries(tx, [owners.entryId]);
  return true;
}

/**
 * Locks a job row for the node result about to be applied to it, after its writer and entry. The row
 * lock orders duplicate deliveries of one result: the second waits for the first to commit, then sees
 * `done` and changes nothing. A job whose account was deleted meanwhile is gone with it.
 */
export async function lockOpenJob(
  tx: Tx,
  jobId: string,
): Promise<{ job: LockedJob } | { outcome: "unknown-job" | "duplicate" }> {
  if (!(await lockJobOwners(tx, jobId))) return { outcome: "unknown-job" };
  // Only what the appliers read: this runs for every analysis result.
  const [job] = await tx.select(lockedColumns).from(jobs).where(eq(jobs.id, jobId)).for("update");
  if (!job) return { outcome: "unknown-job" };
  if (job.status === "done") return { outcome: "duplicate" };
  return { job };
}
