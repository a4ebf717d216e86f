import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import type { PipelineDeps } from "./job-dispatch.ts";

export function pipelineDeps(c: Context<AppEnv>): PipelineDeps {
  const { db, qstash, config } = c.get("services");
  return { db, qstash, config, requestId: c.get("requestId") };
}

/**
 * Runs work after the response (a publish must not hold up the write that caused it). Failures are only
 * logged: the outbox row is already committed and the cron sweep dispatches whatever this misses.
 */
export function inBackground(c: Context<AppEnv>, what: string, work: () => Promise<unknown>): void {
  const settled = work().catch((err: unknown) => {
    console.warn(
      JSON.stringify({
        level: "warn",
        msg: `${what} failed; the sweep retries it`,
        requestId: c.get("requestId"),
        error: err instanceof Error ? err.name : "unknown",
      }),
    );
  });
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // No execution context (a test calling the app directly): the promise still runs.
  }
}
