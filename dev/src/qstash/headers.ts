/** Headers keyed the way the real (Go) service reports them, e.g. `Content-Type`, `X-Request-Id`. */
export type HeaderMap = Record<string, string[]>;

/** Go's CanonicalMIMEHeaderKey: JSON payloads (message `header`, callback `sourceHeader`) use these names. */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split("-")
    .map((part) => (part.length > 0 ? part[0]!.toUpperCase() + part.slice(1) : part))
    .join("-");
}

/**
 * Hop-by-hop and framing headers: forwarding them would corrupt the outgoing request (and undici rejects
 * several of them outright).
 */
const UNFORWARDABLE = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "expect",
  "te",
  "trailer",
  "proxy-connection",
  "proxy-authorization",
]);

export function isForwardable(name: string): boolean {
  return !UNFORWARDABLE.has(name.toLowerCase());
}

export function addHeader(map: HeaderMap, name: string, value: string): void {
  const key = canonicalHeaderName(name);
  const existing = map[key];
  if (existing) existing.push(value);
  else map[key] = [value];
}

/** Response headers as a HeaderMap; `set-cookie` stays split because joining it changes its meaning. */
export function headersToMap(headers: Headers): HeaderMap {
  const map: HeaderMap = {};
  for (const [name, value] of headers) {
    if (name.toLowerCase() === "set-cookie") continue;
    addHeader(map, name, value);
  }
  for (const cookie of headers.getSetCookie()) addHeader(map, "set-cookie", cookie);
  return map;
}

export function mapToHeaders(map: HeaderMap): Headers {
  const headers = new Headers();
  for (const [name, values] of Object.entries(map)) {
    if (!isForwardable(name)) continue;
    for (const value of values) headers.append(name, value);
  }
  return headers;
}

/** Logs carry origins only: paths and queries of user URLs may hold ids or secrets. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "<invalid-url>";
  }
}
