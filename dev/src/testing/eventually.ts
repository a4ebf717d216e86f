/**
 * Polling for a state that changes with no event to await (a row written by a background job, a lock
 * wait appearing, a queue draining): never a fixed sleep as synchronisation. Timers only, so the same
 * module runs in Node and inside workerd (the edge's tests).
 */
export interface EventuallyOptions {
  /** Give up after this long; 10 s unless given. */
  timeoutMs?: number;
  /** The pause between polls; 250 ms unless given. */
  intervalMs?: number;
  /** Runs between polls: a test's stand-in for the clock, such as firing the cron sweep. */
  between?: () => Promise<void>;
  /** What is awaited, for the error: "timed out waiting for <what>". */
  what?: string | (() => string);
}

/**
 * Polls `check` until it returns a value other than `undefined` or `false`, and returns that value.
 * `options` may be just the timeout in milliseconds.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  options: EventuallyOptions | number = {},
): Promise<T> {
  const {
    timeoutMs = 10_000,
    intervalMs = 250,
    between,
    what = "the condition",
  } = typeof options === "number" ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === "function" ? what() : what}`);
    }
    await between?.();
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
