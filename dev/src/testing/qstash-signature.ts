import { SignJWT } from "jose";

/**
 * An `Upstash-Signature` the way QStash makes one, for tests: an HS256 JWT over the signing key's UTF-8
 * bytes, `iss` = Upstash, `sub` = the URL QStash was told to call, `body` = base64url(SHA-256(body)).
 * Web Crypto and jose only, so the same module signs in Node and inside workerd (the edge's tests).
 */
export interface QStashSignatureOptions {
  key: string;
  url: string;
  body: string;
  /** Seconds since the epoch; now unless given. */
  issuedAt?: number;
  /** Seconds until `exp`; 300 as on the real service. */
  lifetimeSeconds?: number;
}

const encoder = new TextEncoder();

/** Unpadded base64url. */
export function base64Url(bytes: ArrayBuffer | Uint8Array): string {
  let binary = "";
  for (const byte of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The `body` claim: base64url(SHA-256(body)). */
export async function qstashBodyHash(body: string): Promise<string> {
  return base64Url(await crypto.subtle.digest("SHA-256", encoder.encode(body)));
}

export async function signQStashDelivery({
  key,
  url,
  body,
  issuedAt = Math.floor(Date.now() / 1000),
  lifetimeSeconds = 300,
}: QStashSignatureOptions): Promise<string> {
  return await new SignJWT({ body: await qstashBodyHash(body) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(url)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .setJti(`jwt_${crypto.randomUUID()}`)
    .sign(encoder.encode(key));
}
