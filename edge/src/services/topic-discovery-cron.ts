import type { CronTask } from "../scheduled.ts";
import { queueDailyDiscovery } from "./topic-discovery.ts";

/**
 * Daily at 03:30 UTC: topics follow journals that grow too slowly to reach the per-write threshold.
 * Idempotent (see `queueDailyDiscovery`); the minute sweep hands the queued runs to nodes.
 */
export const topicDiscoveryTask: CronTask = {
  name: "topic-discovery",
  crons: ["30 3 * * *"],
  async run(ctx) {
    const queued = await queueDailyDiscovery(ctx.db, ctx.config.TOPIC_DISCOVERY_MIN_ENTRIES);
    if (queued > 0) {
      console.log(JSON.stringify({ level: "info", msg: "topic discovery queued", count: queued }));
    }
  },
};
