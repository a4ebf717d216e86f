/**
 * The root keys that wrap every user's data key, from the `DATA_ROOT_KEYS` Worker secret:
 * `v1:<base64 of 32 bytes>,v2:<…>`. Several versions may be listed at once so a rotation can re-wrap the
 * user keys while the old version still unwraps them; `DATA_ROOT_KEY_VERSION` names the one new keys are
 * wrapped under. Nothing here ever puts a key's value in a message.
 */
export interface RootKeys {
  current: number;
  /** Raw key bytes by version. */
  keys: ReadonlyMap<number, Uint8Array<ArrayBuffer>>;
}

export const ROOT_KEY_BYTES = 32;
/** Fewer distinct byte values than this in 32 random bytes is all but impossible; in a typed-in key it is not. */
const MIN_DISTINCT_BYTES = 16;
const ITEM = /^v([1-9][0-9]{0,5}):([A-Za-z0-9+/_-]+={0,2})$/;

function decodeBase64(value: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const binary = atob(value.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The keys by version, or what is wrong with the setting (never a value). */
export function parseRootKeys(
  value: string,
): { keys: Map<number, Uint8Array<ArrayBuffer>> } | { problem: string } {
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) return { problem: "is missing" };
  const keys = new Map<number, Uint8Array<ArrayBuffer>>();
  const seen = new Set<string>();
  for (const item of items) {
    const match = ITEM.exec(item);
    if (!match) return { problem: "must be comma-separated v<number>:<base64 of 32 bytes> items" };
    const version = Number(match[1]);
    const bytes = decodeBase64(match[2] ?? "");
    if (!bytes || bytes.length !== ROOT_KEY_BYTES) {
      return { problem: `key v${version} must be exactly ${ROOT_KEY_BYTES} bytes, base64-encoded` };
    }
    if (new Set(bytes).size < MIN_DISTINCT_BYTES) return { problem: `key v${version} is not random enough` };
    if (keys.has(version)) return { problem: `version v${version} is listed twice` };
    const fingerprint = String.fromCharCode(...bytes);
    if (seen.has(fingerprint)) return { problem: "two versions have the same key" };
    seen.add(fingerprint);
    keys.set(version, bytes);
  }
  return { keys };
}
