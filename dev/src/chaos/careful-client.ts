/** One request as the load saw it: which route, when, and how it ended ("network": no answer at all). */
export interface RequestRecord {
  route: string;
  startedAt: number;
  endedAt: number;
  status: number | "network";
  /** 1 for the first try of an operation, 2 for its first retry, and so on. */
  attempt: number;
}

/** Every request the load sent, in the order they ended. */
export class RequestLog {
  readonly records: RequestRecord[] = [];

  add(record: RequestRecord): void {
    this.records.push(record);
  }
}

/** Seconds from a Retry-After header (delta seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Answers a careful client tries again: the service said "not now", or said nothing. */
export function isRetryable(status: number | "network"): boolean {
  return status === "network" || status === 429 || status === 503 || status === 502 || status === 504;
}

export type Outcome =
  | { kind: "answered"; res: Response; attempts: number }
  /** Out of time with only retryable failures: whether the last try took effect is unknown. */
  | { kind: "gave-up"; attempts: number; last: number | "network" };

export interface CarefulOptions {
  /** Give up once an operation has been retried for this long. */
  patienceMs: number;
  random: () => number;
  /** Longest wait between tries; a longer Retry-After is honoured up to this. */
  maxBackoffMs?: number;
}

/**
 * Sends one operation the way a careful client does: a network error, 429, 502, 503 or 504, or a 409
 * with Retry-After (the same key's first try still running), is tried again after the server's Retry-After (or a jittered exponential backoff), the caller keeping the same
 * Idempotency-Key in `send` so that a retry cannot do the work twice. Any other answer is returned.
 */
export async function carefully(
  log: RequestLog,
  route: string,
  send: () => Promise<Response>,
  options: CarefulOptions,
): Promise<Outcome> {
  const started = Date.now();
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  for (let attempt = 1; ; attempt++) {
    const t0 = Date.now();
    let status: number | "network";
    let res: Response | undefined;
    try {
      res = await send();
      status = res.status;
    } catch {
      status = "network";
    }
    log.add({ route, startedAt: t0, endedAt: Date.now(), status, attempt });
    // A 409 with Retry-After is "the first try with this Idempotency-Key is still running": its answer
    // comes to a retry once it is done, so the client asks again rather than taking it as a refusal.
    const stillRunning = status === 409 && res?.headers.has("Retry-After") === true;
    if (res && !isRetryable(status) && !stillRunning) return { kind: "answered", res, attempts: attempt };
    const hinted = res ? retryAfterMs(res.headers.get("Retry-After")) : undefined;
    await res?.body?.cancel();
    const backoff = Math.min(maxBackoff, 200 * 2 ** Math.min(attempt - 1, 5));
    const wait = Math.min(maxBackoff, hinted ?? backoff * (0.5 + options.random()));
    if (Date.now() + wait - started > options.patienceMs)
      return { kind: "gave-up", attempts: attempt, last: status };
    // The client's own backoff between tries, as the server asked: not a synchronisation point.
    await new Promise((r) => setTimeout(r, wait));
  }
}
