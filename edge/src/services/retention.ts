import { and, isNotNull, lt } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { entries } from "../db/schema/index.ts";

/**
 * Soft-deleted entries are kept for a grace period (undo, a late sync), then removed for good with
 * everything that hangs off them. Their vectors already left the index when they were deleted.
 */
export async function purgeExpiredEntries(
  db: Database,
  retentionDays: number,
  now = new Date(),
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const purged = await db
    .delete(entries)
    .where(and(isNotNull(entries.deletedAt), lt(entries.deletedAt, cutoff)))
    .returning({ id: entries.id });
  return purged.length;
}

/** Hourly; each run removes whatever has passed the retention period since the last. */
export const retentionTask = {
  name: "retention",
  crons: ["0 * * * *"],
  async run(ctx: { db: Database; config: { RETENTION_DAYS: number }; scheduledTime: Date }): Promise<void> {
    const purged = await purgeExpiredEntries(ctx.db, ctx.config.RETENTION_DAYS, ctx.scheduledTime);
    if (purged > 0)
      console.log(JSON.stringify({ level: "info", msg: "retention purged deleted entries", count: purged }));
  },
};
