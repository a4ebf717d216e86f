import { InkwellError } from "@inkwell/shared";

export interface BatcherOptions {
  /** Most rows in one model call. */
  maxBatchSize: number;
  /** Most padded tokens (rows × longest row) in one model call; bounds memory on long texts. */
  maxBatchTokens: number;
  /** How long the first waiting row may wait for company before its batch runs anyway. */
  maxWaitMs: number;
  /** Rows waiting beyond this are refused with 503 rather than queued without bound. */
  queueCapacity: number;
  /** Seconds a refused caller is told to wait. */
  retryAfterSeconds?: number;
}

export interface BatchStats {
  size: number;
  paddedTokens: number;
  seconds: number;
}

export interface Timing {
  /** From arrival to the start of the batch that served it. */
  queueMs: number;
  /** The model call itself. */
  inferenceMs: number;
  batchSize: number;
}

interface Pending<O> {
  ids: number[];
  enqueuedAt: number;
  resolve(value: { output: O; timing: Timing }): void;
  reject(error: unknown): void;
}

/** Rows of similar length near the oldest one, so short texts are not padded to a long one's length. */
function pickBatch<O>(queue: Pending<O>[], maxBatchSize: number, maxBatchTokens: number): Pending<O>[] {
  const window = queue.slice(0, maxBatchSize * 4);
  const anchor = window[0] as Pending<O>;
  const sorted = [...window].sort((a, b) => a.ids.length - b.ids.length || a.enqueuedAt - b.enqueuedAt);
  let lo = sorted.indexOf(anchor);
  let hi = lo;
  const picked = [anchor];
  let longest = Math.max(1, anchor.ids.length);
  const fits = (item: Pending<O>) =>
    (picked.length + 1) * Math.max(longest, item.ids.length, 1) <= maxBatchTokens;
  while (picked.length < maxBatchSize) {
    const below = lo > 0 ? sorted[lo - 1] : undefined;
    const above = hi < sorted.length - 1 ? sorted[hi + 1] : undefined;
    // Take the neighbour closer in length to the anchor; stop when neither fits the token budget.
    let next: Pending<O> | undefined;
    if (below && above) {
      next = anchor.ids.length - below.ids.length <= above.ids.length - anchor.ids.length ? below : above;
    } else {
      next = below ?? above;
    }
    if (!next || !fits(next)) {
      const other = next === below ? above : below;
      if (!other || !fits(other)) break;
      next = other;
    }
    if (next === below) lo--;
    else hi++;
    picked.push(next);
    longest = Math.max(longest, next.ids.length);
  }
  return picked;
}

/**
 * Dynamic batching for one model: concurrent callers' rows are queued and run together, up to
 * `maxBatchSize` rows and `maxBatchTokens` padded tokens, after at most `maxWaitMs` (at once when a batch
 * is full). One batch runs at a time; rows arriving meanwhile form the next one. A full queue refuses
 * work with 503 + Retry-After instead of letting latency grow without bound.
 */
export class Batcher<O> {
  private readonly options: Required<BatcherOptions>;
  private readonly run: (batch: number[][]) => Promise<O[]>;
  private readonly onBatch: ((stats: BatchStats) => void) | undefined;
  private readonly onError: ((error: unknown) => void) | undefined;
  private queue: Pending<O>[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private lastBatchSize = 0;
  private closed = false;

  constructor(
    options: BatcherOptions,
    run: (batch: number[][]) => Promise<O[]>,
    hooks: { onBatch?: (stats: BatchStats) => void; onError?: (error: unknown) => void } = {},
  ) {
    this.options = { retryAfterSeconds: 1, ...options };
    this.run = run;
    this.onBatch = hooks.onBatch;
    this.onError = hooks.onError;
  }

  /** Rows waiting for a batch. */
  get depth(): number {
    return this.queue.length;
  }

  /** Rows in the batch being computed now. */
  get inFlight(): number {
    return this.running;
  }

  get capacity(): number {
    return this.options.queueCapacity;
  }

  /** Queues every row of one caller, or none of them when they do not all fit. */
  submit(rows: readonly number[][]): Promise<{ output: O; timing: Timing }[]> {
    if (this.closed) {
      return Promise.reject(new InkwellError("SERVICE_UNAVAILABLE", "The inference node is shutting down"));
    }
    if (this.queue.length + rows.length > this.options.queueCapacity) {
      return Promise.reject(
        new InkwellError("SERVICE_UNAVAILABLE", "The inference queue is full; retry shortly", {
          headers: { "retry-after": String(this.options.retryAfterSeconds) },
        }),
      );
    }
    const now = performance.now();
    const promises = rows.map(
      (ids) =>
        new Promise<{ output: O; timing: Timing }>((resolve, reject) => {
          this.queue.push({ ids, enqueuedAt: now, resolve, reject });
        }),
    );
    this.schedule();
    return Promise.all(promises);
  }

  /**
   * When to run the next batch. The target size is the last batch's size (capped at the maximum): as
   * soon as that many rows wait, they run, after the current I/O phase (setImmediate, so requests that
   * arrived together share the batch and a lone caller pays nothing). Fewer rows than last time means
   * callers are still arriving, so the first one waits up to `maxWaitMs` for company; the target then
   * adapts down to the load. While a batch runs, new rows simply queue.
   */
  private schedule(): void {
    if (this.running > 0 || this.queue.length === 0) return;
    const target = Math.min(this.options.maxBatchSize, Math.max(1, this.lastBatchSize));
    if (this.queue.length >= target || this.options.maxWaitMs === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.flush();
      });
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.options.maxWaitMs);
  }

  private flush(): void {
    if (this.running > 0 || this.queue.length === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = pickBatch(this.queue, this.options.maxBatchSize, this.options.maxBatchTokens);
    this.lastBatchSize = batch.length;
    const taken = new Set(batch);
    this.queue = this.queue.filter((item) => !taken.has(item));
    this.running = batch.length;
    const started = performance.now();
    void this.run(batch.map((item) => item.ids)).then(
      (outputs) => {
        const inferenceMs = performance.now() - started;
        const padded = batch.length * Math.max(1, ...batch.map((item) => item.ids.length));
        this.onBatch?.({ size: batch.length, paddedTokens: padded, seconds: inferenceMs / 1000 });
        batch.forEach((item, i) => {
          item.resolve({
            output: outputs[i] as O,
            timing: { queueMs: started - item.enqueuedAt, inferenceMs, batchSize: batch.length },
          });
        });
        this.finished();
      },
      (error: unknown) => {
        this.onError?.(error);
        for (const item of batch) item.reject(error);
        this.finished();
      },
    );
  }

  private finished(): void {
    this.running = 0;
    // Whatever arrived while the model ran has already waited at least that long: run it now.
    if (this.queue.length > 0) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.flush();
      });
    }
  }

  /** Refuses new work and fails whatever is still queued; the batch in flight finishes. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    const error = new InkwellError("SERVICE_UNAVAILABLE", "The inference node is shutting down");
    for (const item of this.queue.splice(0)) item.reject(error);
  }
}
