import type { CronTask } from "../scheduled.ts";
import { queueReconciliation } from "./vector-reconciliation.ts";

/**
 * Daily at 03:30 UTC (a quiet hour, on a trigger the edge already has): a reconciliation pass is queued
 * and the minute sweep hands its pages to nodes. Bounded work per delivery: one page of
 * LIST_VECTORS_PAGE_SIZE records listed, CHECK_VECTORS_PAGE_SIZE entries checked, or REINDEX_PAGE_SIZE
 * vectors restored.
 */
export const vectorReconciliationTask: CronTask = {
  name: "vector-reconciliation",
  crons: ["30 3 * * *"],
  async run(ctx) {
    if (await queueReconciliation(ctx.db)) {
      console.log(JSON.stringify({ level: "info", msg: "vector reconciliation queued" }));
    }
  },
};
