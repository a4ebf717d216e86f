import { canonicalHeaderName, type HeaderMap } from "./headers.ts";

/**
 * Response headers with which a destination can say when QStash should try again, in the order QStash
 * documents them. The first one present with a readable value wins.
 */
const HINT_HEADERS = [
  "Retry-After",
  "X-RateLimit-Reset",
  "X-RateLimit-Reset-Requests",
  "X-RateLimit-Reset-Tokens",
].map(canonicalHeaderName);

const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** One hint value: whole seconds, a Go duration (`6m5s`, `250ms`) or an HTTP date (RFC 1123). */
export function parseRetryHintMs(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  if (GO_DURATION.test(text)) {
    let total = 0;
    for (const match of text.matchAll(GO_PART)) total += Number(match[1]) * (GO_UNIT_MS[match[2] ?? ""] ?? 0);
    return Math.round(total);
  }
  // Only something that looks like an HTTP date: Date.parse is lenient enough to accept stray numbers.
  if (/^[A-Za-z]{3},/.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  return undefined;
}

/**
 * The delay the destination asked for, if any. QStash honours such a hint only up to its one-day cap;
 * a longer one is ignored and the usual retry delay applies.
 */
export function retryHintFromResponse(header: HeaderMap, nowMs: number, capMs: number): number | undefined {
  for (const name of HINT_HEADERS) {
    const value = header[name]?.[0];
    if (value === undefined) continue;
    const ms = parseRetryHintMs(value, nowMs);
    if (ms === undefined) continue;
    return ms <= capMs ? ms : undefined;
  }
  return undefined;
}
