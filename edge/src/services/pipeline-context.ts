import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { afterResponse } from "../lib/after-response.ts";
import type { PipelineDeps } from "./job-dispatch.ts";

export function pipelineDeps(c: Context<AppEnv>): PipelineDeps {
  const { db, qstash, config, dataKeys } = c.get("services");
  return { db, qstash, config, requestId: c.get("requestId"), keys: dataKeys };
}

/**
 * Runs work after the response (a publish must not hold up the write that caused it). Failures are only
 * logged: the outbox row is already committed and the cron sweep dispatches whatever this misses.
 */
export function inBackground(c: Context<AppEnv>, what: string, work: () => Promise<unknown>): void {
  afterResponse(c, `${what} failed; the sweep retries it`, work());
}
