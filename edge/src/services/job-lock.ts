import { InkwellError } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database, Tx } from "../db/client.ts";
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

/**
 * Makes the job's writer's data key ready before the transaction that applies its result, so sealing
 * inside the transaction needs no write of its own (creating a key on first use is one). Whose a job is
 * never changes. For an account deleted meanwhile no key can be made: that is left to the transaction,
 * which then finds the job gone with the account (`unknown-job`), as it would without sealing.
 */
export async function readyJobOwnerKey(db: Database, keys: KeySource, jobId: string): Promise<void> {
  const [owner] = await db.select({ userId: jobs.userId }).from(jobs).where(eq(jobs.id, jobId)).limit(1);
  if (!owner?.userId) return;
  try {
    await keys.current(owner.userId);
  } catch (err) {
    if (!(err instanceof InkwellError && err.code === "NOT_FOUND")) throw err;
  }
}
