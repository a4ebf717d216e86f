import { type HeaderMap, headersToMap } from "./headers.ts";

/** Callback payloads carry the destination's response; an unbounded one would sit in memory and on disk. */
const MAX_RESPONSE_BODY_BYTES = 1024 * 1024;

export interface DeliveryRequest {
  url: string;
  method: string;
  headers: Headers;
  body: Uint8Array;
  timeoutMs: number;
  /** Aborted when the server shuts down; the attempt then counts as never made. */
  signal: AbortSignal;
}

export type DeliveryOutcome =
  | { kind: "response"; status: number; header: HeaderMap; body: Buffer }
  | { kind: "error"; error: string; aborted: boolean };

export function isSuccess(outcome: DeliveryOutcome): boolean {
  return outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300;
}

/** Destinations can opt out of retries for errors they know are permanent. */
export function isNonRetryable(outcome: DeliveryOutcome): boolean {
  if (outcome.kind !== "response") return false;
  const value = outcome.header["Upstash-Nonretryable-Error"]?.[0];
  return value?.toLowerCase() === "true";
}

/** One HTTP attempt. Never throws: network failures and timeouts become an `error` outcome. */
export async function deliver(request: DeliveryRequest): Promise<DeliveryOutcome> {
  const signal = AbortSignal.any([request.signal, AbortSignal.timeout(request.timeoutMs)]);
  const method = request.method.toUpperCase();
  const hasBody = method !== "GET" && method !== "HEAD";
  try {
    const response = await fetch(request.url, {
      method,
      headers: request.headers,
      body: hasBody ? request.body : undefined,
      signal,
    });
    const raw = Buffer.from(await response.arrayBuffer());
    return {
      kind: "response",
      status: response.status,
      header: headersToMap(response.headers),
      body: raw.length > MAX_RESPONSE_BODY_BYTES ? raw.subarray(0, MAX_RESPONSE_BODY_BYTES) : raw,
    };
  } catch (err) {
    const aborted = request.signal.aborted;
    const message =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return { kind: "error", error: signal.aborted && !aborted ? "timeout" : message, aborted };
  }
}

/** Exponential backoff `base * 2^retried`, capped. `retried` counts the attempts that already failed, minus one. */
export function backoffDelayMs(baseMs: number, retried: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(retried, 40));
}
