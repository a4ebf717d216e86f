import { Client as QStashClient } from "@upstash/qstash";
import type { CronTask } from "../scheduled.ts";
import { sweepJobs } from "./job-dispatch.ts";

/**
 * The outbox relay's safety net: every minute, jobs whose publish never happened (or failed), jobs that
 * waited for a node, and jobs lost downstream are dispatched again. Idempotent by construction: a job
 * is claimed by a conditional update before it is published.
 */
export const jobSweepTask: CronTask = {
  name: "job-sweep",
  crons: ["* * * * *"],
  async run(ctx) {
    const qstash = new QStashClient({
      baseUrl: ctx.config.QSTASH_URL,
      token: ctx.config.QSTASH_TOKEN,
      devMode: false,
    });
    const result = await sweepJobs({ db: ctx.db, qstash, config: ctx.config });
    if (result.requeued + result.failed + result.dispatched > 0) {
      console.log(JSON.stringify({ level: "info", msg: "job sweep", ...result }));
    }
  },
};
