const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/**
 * Parses QStash duration headers (`Upstash-Delay`, `Upstash-Timeout`): Go-style `10s`, `5m`, `1h30m`, `2d`.
 * A bare number is read as seconds, as the real service does. Returns milliseconds, or undefined when invalid.
 */
export function parseDurationMs(value: string): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    const amount = Number(match[1]);
    const unit = UNIT_MS[match[2] ?? ""];
    if (unit === undefined || !Number.isFinite(amount)) return undefined;
    total += amount * unit;
  }
  return Math.round(total);
}
