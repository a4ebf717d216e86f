import { createDatabase } from "./db/client.ts";
import { type Env, parseEnv } from "./env.ts";
import { encryptRowsTask } from "./services/encrypt-rows.ts";
import { jobSweepTask } from "./services/job-sweep-cron.ts";
import { weeklyReflectionsTask } from "./services/reflections-cron.ts";
import { retentionTask } from "./services/retention.ts";
import { rootKeyRotationTask } from "./services/root-key-rotation-cron.ts";
import { topicDiscoveryTask } from "./services/topic-discovery-cron.ts";
import { vectorReconciliationTask } from "./services/vector-reconciliation-cron.ts";
import { vectorRepairTask } from "./services/vector-repair-cron.ts";

/** What a cron task gets: the validated config and a database client for this invocation. */
export interface CronContext {
  env: Env;
  config: Extract<ReturnType<typeof parseEnv>, { ok: true }>["config"];
  db: ReturnType<typeof createDatabase>["db"];
  scheduledTime: Date;
  waitUntil(promise: Promise<unknown>): void;
}

export interface CronTask {
  name: string;
  /** Cron expressions from wrangler.toml `[triggers]` this task runs on. */
  crons: string[];
  run(ctx: CronContext): Promise<void>;
}

/** Every scheduled task of the edge. Tasks are idempotent: running one twice does no harm. */
export const cronTasks: CronTask[] = [
  retentionTask,
  weeklyReflectionsTask,
  jobSweepTask,
  topicDiscoveryTask,
  vectorReconciliationTask,
  vectorRepairTask,
  rootKeyRotationTask,
  encryptRowsTask,
];

/** The Worker's `scheduled` handler: runs the tasks registered for the firing cron, each isolated. */
export async function runScheduled(
  controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const parsed = parseEnv(env);
  if (!parsed.ok) {
    console.error(JSON.stringify({ level: "error", msg: "bad environment", problems: parsed.problems }));
    return;
  }
  const { db } = createDatabase(env.HYPERDRIVE.connectionString, {
    connectTimeoutSeconds: parsed.config.DB_CONNECT_TIMEOUT_SECONDS,
  });
  const base = {
    env,
    config: parsed.config,
    db,
    scheduledTime: new Date(controller.scheduledTime),
    waitUntil: (p: Promise<unknown>) => ctx.waitUntil(p),
  };
  const due = cronTasks.filter((task) => task.crons.includes(controller.cron));
  const results = await Promise.allSettled(due.map((task) => task.run(base)));
  results.forEach((result, i) => {
    if (result.status === "rejected") {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "cron task failed",
          task: due[i]?.name,
          cron: controller.cron,
        }),
      );
    }
  });
}
