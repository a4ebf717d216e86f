import { Client as QStashClient } from "@upstash/qstash";
import type { CronTask } from "../scheduled.ts";
import { dispatchJob } from "./job-dispatch.ts";
import { queueUnindexedRestores } from "./vector-reconciliation.ts";

/**
 * Every minute: vectors an analysis could not write into Chroma (it was down, killed or refusing writes;
 * the node answered `indexed: false`) are sent back from Postgres, so the index is whole again minutes
 * after Chroma returns rather than at the next daily reconciliation pass. Idempotent: an entry already
 * in an open restore, or confirmed indexed since, is not queued again.
 */
export const vectorRepairTask: CronTask = {
  name: "vector-repair",
  crons: ["* * * * *"],
  async run(ctx) {
    const queued = await queueUnindexedRestores(ctx.db);
    if (queued.length === 0) return;
    const qstash = new QStashClient({
      baseUrl: ctx.config.QSTASH_URL,
      token: ctx.config.QSTASH_TOKEN,
      devMode: false,
    });
    // A publish that fails leaves the job queued for the sweep.
    for (const jobId of queued) await dispatchJob({ db: ctx.db, qstash, config: ctx.config }, jobId);
  },
};
