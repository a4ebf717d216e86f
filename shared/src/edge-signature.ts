import { sha256Hex, toHex } from "./crypto.ts";

/**
 * Signs the edge's interactive calls to a node (query embedding, search, chat) and checks them on the
 * node. Web Crypto only, so the Worker signs with the same code the node verifies with.
 *
 *   Inkwell-Signature: t=<unix seconds>,n=<nonce>,v1=<hex HMAC-SHA256(key, t + "." + n + "." + METHOD + "." + path + "." + sha256hex(body))>
 *
 * The nonce (16 random bytes, hex) makes every request's signature unique, so the node can refuse a
 * replayed one without also refusing a second, identical request the edge sends in the same second
 * (two people, or one person twice, searching for the same words).
 *
 * The HMAC key is derived from the node token under its own label, so it differs from the token's stored
 * hash (`hashToken`): a leaked `nodes` table can neither heartbeat as a node nor sign requests to one. The
 * edge re-derives each node's token from NODE_TOKEN_SECRET (`deriveNodeToken`), the node reads NODE_TOKEN.
 */
export const EDGE_SIGNATURE_HEADER = "inkwell-signature";
/** A signature older or newer than this is refused; the node remembers seen signatures for as long. */
export const EDGE_SIGNATURE_TOLERANCE_SECONDS = 60;

const encoder = new TextEncoder();

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

async function hmacKey(nodeToken: string): Promise<HmacKey> {
  const keyMaterial = encoder.encode(await sha256Hex(`inkwell-edge-signature:v1:${nodeToken}`));
  return await crypto.subtle.importKey("raw", keyMaterial, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

async function signingPayload(
  timestamp: number,
  nonce: string,
  method: string,
  path: string,
  body: string,
): Promise<Uint8Array<ArrayBuffer>> {
  // encode() always returns a fresh ArrayBuffer-backed array; the DOM library's subtle.sign insists on it.
  return encoder.encode(
    `${timestamp}.${nonce}.${method.toUpperCase()}.${path}.${await sha256Hex(body)}`,
  ) as Uint8Array<ArrayBuffer>;
}

function randomNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

export interface EdgeSignatureInput {
  /** The node's token: NODE_TOKEN on the node, re-derived from NODE_TOKEN_SECRET on the edge. */
  nodeToken: string;
  method: string;
  /** Path and query exactly as sent, e.g. `/v1/embed`. */
  path: string;
  body: string;
}

export async function signEdgeRequest(
  input: EdgeSignatureInput & { timestamp?: number; nonce?: string },
): Promise<string> {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? randomNonce();
  const key = await hmacKey(input.nodeToken);
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    await signingPayload(timestamp, nonce, input.method, input.path, input.body),
  );
  return `t=${timestamp},n=${nonce},v1=${toHex(mac)}`;
}

export function parseEdgeSignature(
  header: string,
): { timestamp: number; nonce: string; signature: string } | undefined {
  const fields = new Map<string, string>();
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const t = fields.get("t");
  const n = fields.get("n");
  const v1 = fields.get("v1");
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return undefined;
  if (!n || !/^[0-9a-f]{32}$/.test(n)) return undefined;
  return { timestamp: Number(t), nonce: n, signature: v1 };
}

export type EdgeSignatureCheck =
  | { ok: true; timestamp: number; nonce: string; signature: string }
  | { ok: false; reason: "malformed" | "stale" | "mismatch" };

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Checks format, freshness and the MAC (in constant time, through `subtle.verify`). Replays are the caller's job. */
export async function verifyEdgeSignature(
  input: EdgeSignatureInput & { header: string; now?: number; toleranceSeconds?: number },
): Promise<EdgeSignatureCheck> {
  const parsed = parseEdgeSignature(input.header);
  if (!parsed) return { ok: false, reason: "malformed" };
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - parsed.timestamp) > (input.toleranceSeconds ?? EDGE_SIGNATURE_TOLERANCE_SECONDS)) {
    return { ok: false, reason: "stale" };
  }
  const key = await hmacKey(input.nodeToken);
  const valid = await crypto.subtle.verify(
    "HMAC",
    key,
    fromHex(parsed.signature),
    await signingPayload(parsed.timestamp, parsed.nonce, input.method, input.path, input.body),
  );
  return valid ? { ok: true, ...parsed } : { ok: false, reason: "mismatch" };
}
