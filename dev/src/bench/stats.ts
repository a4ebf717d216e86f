/** Latency figures of one measured series. */
export interface Series {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/**
 * Runs `total` calls of `fn` with `concurrency` callers in flight, after `warmup` unmeasured calls.
 * Bounded in count, so it always stops by itself.
 */
export async function measure(
  fn: (i: number) => Promise<boolean>,
  options: { total: number; concurrency: number; warmup: number },
): Promise<Series> {
  for (let i = 0; i < options.warmup; i++) await fn(i);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let i = next++; i < options.total; i = next++) {
        const t0 = performance.now();
        const ok = await fn(i);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: options.total,
    seconds: round(seconds),
    requestsPerSecond: round(options.total / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    errors,
  };
}
