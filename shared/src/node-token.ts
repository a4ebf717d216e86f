import { toHex } from "./crypto.ts";

const encoder = new TextEncoder();

/** Prefix of node tokens, so one pasted into the wrong setting is recognisable. */
export const NODE_TOKEN_PREFIX = "nt_";

function base64Url(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * A node's token, derived rather than stored: HMAC-SHA256(NODE_TOKEN_SECRET, nodeId + salt). The edge keeps
 * only the salt and the token's SHA-256 (for heartbeats), yet can re-derive the token to sign its requests
 * to that node; re-keying a node is a new salt. Web Crypto only, so the Worker and the local stack share it.
 */
export async function deriveNodeToken(secret: string, nodeId: string, salt: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    encoder.encode(`inkwell-node-token:v1:${nodeId}:${salt}`),
  );
  return `${NODE_TOKEN_PREFIX}${base64Url(mac)}`;
}

/** A fresh salt for `deriveNodeToken`. */
export function nodeTokenSalt(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}
