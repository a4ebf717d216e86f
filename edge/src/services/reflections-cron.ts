import { Client as QStashClient } from "@upstash/qstash";
import type { CronTask } from "../scheduled.ts";
import { pipelineKeys } from "./job-dispatch.ts";
import { recoverLostReflections, runWeeklyReflections } from "./reflection-requests.ts";

/**
 * Weekly reflections for writers who opted in (`weeklyReflection`), made on the first hourly run after
 * their local Monday 00:00. Hourly, because zones turn over to Monday at every hour (and some at half
 * hours, which the next run catches); a second run the same Monday finds the reflection and does nothing.
 * A node's language model writes them when one is up; otherwise the edge computes the structured ones.
 * Each run also finishes structured reflections whose computation was lost.
 */
export const weeklyReflectionsTask: CronTask = {
  name: "weekly-reflections",
  crons: ["0 * * * *"],
  async run(ctx) {
    const qstash = new QStashClient({
      baseUrl: ctx.config.QSTASH_URL,
      token: ctx.config.QSTASH_TOKEN,
      devMode: false,
    });
    const deps = { db: ctx.db, qstash, config: ctx.config };
    const created = await runWeeklyReflections(deps, ctx.scheduledTime);
    const recovered = await recoverLostReflections(ctx.db, pipelineKeys(deps));
    if (recovered > 0) {
      console.log(JSON.stringify({ level: "info", msg: "lost reflections recomputed", count: recovered }));
    }
    if (created > 0) {
      console.log(JSON.stringify({ level: "info", msg: "weekly reflections created", count: created }));
    }
  },
};
