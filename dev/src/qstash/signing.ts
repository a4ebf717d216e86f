import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import { randomId } from "./ids.ts";

/** How long a delivery signature stays valid, as on the real service. */
const SIGNATURE_TTL_SECONDS = 5 * 60;

/**
 * base64url(SHA-256(body)) with `=` padding, as the real (Go) service emits it. `Receiver` strips padding on
 * both sides, and hand-written verifiers that compare the padded form keep working too.
 */
export function bodyHash(body: Uint8Array): string {
  const digest = createHash("sha256").update(body).digest("base64");
  return digest.replaceAll("+", "-").replaceAll("/", "_");
}

export interface SignRequest {
  signingKey: string;
  /** The URL being called: it becomes `sub`, which `Receiver.verify({ url })` compares exactly. */
  url: string;
  body: Uint8Array;
  nowMs?: number;
}

/** The `Upstash-Signature` JWT: HS256 over the signing key's UTF-8 bytes, claims as QStash sends them. */
export async function signDelivery({
  signingKey,
  url,
  body,
  nowMs = Date.now(),
}: SignRequest): Promise<string> {
  const now = Math.floor(nowMs / 1_000);
  return await new SignJWT({ body: bodyHash(body) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + SIGNATURE_TTL_SECONDS)
    .setJti(randomId("jwt"))
    .sign(new TextEncoder().encode(signingKey));
}
