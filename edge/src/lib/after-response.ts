import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { errorName, log } from "./log.ts";

/**
 * Runs work after the response, so it adds nothing to the response's time (or, for a lookup whose timing
 * would tell something, to what the timing shows). A failure is logged as `failed` by the error's name
 * only, with the request id. Without an execution context (a test calling the app directly) the work
 * still runs, just without the runtime waiting for it.
 */
export function afterResponse(c: Context<AppEnv>, failed: string, work: Promise<unknown>): void {
  const settled = work.catch((err: unknown) => {
    log.warn(failed, { requestId: c.get("requestId"), error: errorName(err) });
  });
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // No execution context: the promise still runs.
  }
}
