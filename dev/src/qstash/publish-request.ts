import { createHash } from "node:crypto";
import { parseDurationMs } from "./duration.ts";
import { parseFlowControl } from "./flow-control.ts";
import { addHeader, type HeaderMap, isForwardable } from "./headers.ts";
import type { CallbackSpec, FlowControlSpec } from "./model.ts";
import { parseRetryDelay } from "./retry-delay.ts";

/** What a publish asks for, once its headers are read. */
export interface MessageSpec {
  url: string;
  method: string;
  header: HeaderMap;
  body: Buffer;
  maxRetries: number;
  /** Unix ms; the message is never delivered before it. */
  notBefore: number;
  timeoutMs?: number;
  callback?: CallbackSpec;
  failureCallback?: CallbackSpec;
  deduplicationKey?: string;
  callerIp?: string;
  /** `Upstash-Retry-Delay`, already checked to be a valid expression. */
  retryDelay?: string;
  flowControl?: FlowControlSpec;
}

export type ParseResult = { ok: true; spec: MessageSpec } | { ok: false; error: string };

const DEFAULT_RETRIES = 3;
/** A sanity bound only; the real service caps by plan. */
const MAX_RETRIES = 100;
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
const FORWARD_PREFIX = "upstash-forward-";

/** Header names in lower case (as Node delivers them) to a single value. */
export type IncomingHeaders = Record<string, string>;

export function normaliseIncomingHeaders(
  headers: Record<string, string | string[] | undefined>,
): IncomingHeaders {
  const out: IncomingHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/**
 * The destination is the rest of the publish path. Clients normally send it raw
 * (`/v2/publish/https://host/path?q=1`); some URL-encode it, which the real service also accepts.
 */
export function resolveDestination(raw: string): string | undefined {
  let candidate = raw;
  if (!/^https?:\/\//i.test(candidate)) {
    try {
      candidate = decodeURIComponent(candidate);
    } catch {
      return undefined;
    }
  }
  if (!/^https?:\/\//i.test(candidate)) return undefined;
  try {
    new URL(candidate);
  } catch {
    return undefined;
  }
  return candidate;
}

function parseRetries(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) return undefined;
  return Math.min(Number(value.trim()), MAX_RETRIES);
}

function parseMethod(value: string | undefined): string | undefined {
  const method = (value ?? "POST").trim().toUpperCase();
  return METHODS.has(method) ? method : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** `Upstash-Callback-*` / `Upstash-Failure-Callback-*` settings; retries default to the message's own. */
function parseCallback(
  headers: IncomingHeaders,
  prefix: "upstash-callback" | "upstash-failure-callback",
  messageRetries: number,
): { ok: true; spec?: CallbackSpec } | { ok: false; error: string } {
  const url = headers[prefix];
  if (url === undefined) return { ok: true };
  if (!isHttpUrl(url)) return { ok: false, error: `invalid ${prefix} url` };
  const maxRetries = parseRetries(headers[`${prefix}-retries`], messageRetries);
  if (maxRetries === undefined) return { ok: false, error: `invalid ${prefix}-retries` };
  const method = parseMethod(headers[`${prefix}-method`]);
  if (method === undefined) return { ok: false, error: `invalid ${prefix}-method` };
  const timeoutHeader = headers[`${prefix}-timeout`];
  const timeoutMs = timeoutHeader === undefined ? undefined : parseDurationMs(timeoutHeader);
  if (timeoutHeader !== undefined && (timeoutMs === undefined || timeoutMs <= 0)) {
    return { ok: false, error: `invalid ${prefix}-timeout` };
  }
  const header: HeaderMap = {};
  const forwardPrefix = `${prefix}-forward-`;
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(forwardPrefix) && name.length > forwardPrefix.length) {
      const target = name.slice(forwardPrefix.length);
      if (isForwardable(target)) addHeader(header, target, value);
    }
  }
  return { ok: true, spec: { url, method, header, maxRetries, ...(timeoutMs ? { timeoutMs } : {}) } };
}

/** Reads a publish (single or one batch entry) the way the real service interprets its headers. */
export function parseMessageSpec(input: {
  destination: string;
  headers: IncomingHeaders;
  body: Buffer;
  callerIp?: string;
  nowMs: number;
}): ParseResult {
  const { headers, body, nowMs } = input;
  const url = resolveDestination(input.destination);
  if (url === undefined) {
    return {
      ok: false,
      error: "destination must be an http(s) url; url groups, queues and apis are not supported locally",
    };
  }

  const method = parseMethod(headers["upstash-method"]);
  if (method === undefined) return { ok: false, error: "invalid Upstash-Method" };

  const maxRetries = parseRetries(headers["upstash-retries"], DEFAULT_RETRIES);
  if (maxRetries === undefined) return { ok: false, error: "invalid Upstash-Retries" };

  let notBefore = nowMs;
  const notBeforeHeader = headers["upstash-not-before"];
  const delayHeader = headers["upstash-delay"];
  if (notBeforeHeader !== undefined) {
    // Unix seconds; when both are given the absolute time wins, as on the real service.
    if (!/^\d+$/.test(notBeforeHeader.trim())) return { ok: false, error: "invalid Upstash-Not-Before" };
    notBefore = Math.max(nowMs, Number(notBeforeHeader.trim()) * 1_000);
  } else if (delayHeader !== undefined) {
    const delayMs = parseDurationMs(delayHeader);
    if (delayMs === undefined) return { ok: false, error: "invalid Upstash-Delay" };
    notBefore = nowMs + delayMs;
  }

  const timeoutHeader = headers["upstash-timeout"];
  const timeoutMs = timeoutHeader === undefined ? undefined : parseDurationMs(timeoutHeader);
  if (timeoutHeader !== undefined && (timeoutMs === undefined || timeoutMs <= 0)) {
    return { ok: false, error: "invalid Upstash-Timeout" };
  }

  const retryDelay = headers["upstash-retry-delay"]?.trim();
  if (retryDelay !== undefined) {
    const parsed = parseRetryDelay(retryDelay);
    if (!parsed.ok) return parsed;
  }

  const flowControl = parseFlowControl(
    headers["upstash-flow-control-key"],
    headers["upstash-flow-control-value"],
  );
  if (!flowControl.ok) return flowControl;

  const header: HeaderMap = {};
  const contentType = headers["content-type"];
  if (contentType !== undefined) addHeader(header, "content-type", contentType);
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(FORWARD_PREFIX) && name.length > FORWARD_PREFIX.length) {
      const target = name.slice(FORWARD_PREFIX.length);
      if (isForwardable(target)) addHeader(header, target, value);
    }
  }

  const callback = parseCallback(headers, "upstash-callback", maxRetries);
  if (!callback.ok) return callback;
  const failureCallback = parseCallback(headers, "upstash-failure-callback", maxRetries);
  if (!failureCallback.ok) return failureCallback;

  let deduplicationKey: string | undefined;
  const dedupId = headers["upstash-deduplication-id"];
  if (dedupId !== undefined && dedupId.length > 0) {
    deduplicationKey = `id:${dedupId}`;
  } else if (headers["upstash-content-based-deduplication"]?.toLowerCase() === "true") {
    // Destination, body and forwarded headers, as documented for content-based deduplication.
    const hash = createHash("sha256");
    hash.update(url).update("\0").update(method).update("\0");
    for (const name of Object.keys(header).sort()) hash.update(`${name}:${header[name]!.join(",")}\0`);
    hash.update(body);
    deduplicationKey = `content:${hash.digest("hex")}`;
  }

  return {
    ok: true,
    spec: {
      url,
      method,
      header,
      body,
      maxRetries,
      notBefore,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(callback.spec ? { callback: callback.spec } : {}),
      ...(failureCallback.spec ? { failureCallback: failureCallback.spec } : {}),
      ...(deduplicationKey ? { deduplicationKey } : {}),
      ...(input.callerIp ? { callerIp: input.callerIp } : {}),
      ...(retryDelay !== undefined ? { retryDelay } : {}),
      ...(flowControl.spec ? { flowControl: flowControl.spec } : {}),
    },
  };
}
