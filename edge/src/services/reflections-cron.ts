import type { CronTask } from "../scheduled.ts";
import { runWeeklyReflections } from "./reflection-requests.ts";

/**
 * Weekly reflections for writers who opted in (`weeklyReflection`), made on the first hourly run after
 * their local Monday 00:00. Hourly, because zones turn over to Monday at every hour (and some at half
 * hours, which the next run catches); a second run the same Monday finds the reflection and does nothing.
 */
export const weeklyReflectionsTask: CronTask = {
  name: "weekly-reflections",
  crons: ["0 * * * *"],
  async run(ctx) {
    const created = await runWeeklyReflections(ctx.db, ctx.scheduledTime);
    if (created > 0) {
      console.log(JSON.stringify({ level: "info", msg: "weekly reflections created", count: created }));
    }
  },
};
