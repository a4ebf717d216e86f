import { and, inArray, isNotNull, lt } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { entries } from "../db/schema/index.ts";
import { pruneTombstones, queueEntryPurges, tombstoneEntries } from "./vector-tombstones.ts";
import { lockWriters } from "./writer-locks.ts";

/**
 * Soft-deleted entries are kept for a grace period (undo, a late sync), then removed for good with
 * everything that hangs off them. Their vectors left the index when they were deleted; one more purge
 * goes out with the hard delete all the same, in the same transaction, for whatever a late write or a
 * purge lost with an older edge's cascade put back (the minute sweep hands it to a node). Answers how
 * many entries went.
 */
export async function purgeExpiredEntries(
  db: Database,
  retentionDays: number,
  now = new Date(),
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const expired = and(isNotNull(entries.deletedAt), lt(entries.deletedAt, cutoff));
  return await db.transaction(async (tx) => {
    // The writers' rows first (writer-locks.ts): the hard delete cascades to analyses and jobs, and an
    // account deletion or a result landing for one of these writers must not hold those meanwhile.
    const owners = await tx.selectDistinct({ userId: entries.userId }).from(entries).where(expired);
    const writers = await lockWriters(
      tx,
      owners.map((row) => row.userId),
    );
    if (writers.length === 0) return 0;
    const purged = await tx
      .delete(entries)
      .where(and(expired, inArray(entries.userId, writers)))
      .returning({ id: entries.id, userId: entries.userId });
    const byUser = new Map<string, string[]>();
    for (const row of purged) byUser.set(row.userId, [...(byUser.get(row.userId) ?? []), row.id]);
    for (const [userId, ids] of byUser) {
      await tombstoneEntries(tx, userId, ids);
      await queueEntryPurges(tx, ids, userId);
    }
    return purged.length;
  });
}

/** Hourly; each run removes whatever has passed the retention period since the last. */
export const retentionTask = {
  name: "retention",
  crons: ["0 * * * *"],
  async run(ctx: { db: Database; config: { RETENTION_DAYS: number }; scheduledTime: Date }): Promise<void> {
    const count = await purgeExpiredEntries(ctx.db, ctx.config.RETENTION_DAYS, ctx.scheduledTime);
    const pruned = await pruneTombstones(ctx.db, ctx.scheduledTime);
    if (count > 0 || pruned > 0) {
      console.log(
        JSON.stringify({ level: "info", msg: "retention purged deleted entries", count, tombstones: pruned }),
      );
    }
  },
};
