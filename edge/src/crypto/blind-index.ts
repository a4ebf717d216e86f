import { toBase64Url } from "./base64url.ts";
import type { KeySource } from "./field-cipher.ts";

type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const encoder = new TextEncoder();

/** What a keyed name is for: each purpose has its own key, so a name made for one means nothing in another. */
export type BlindPurpose = "blind-index" | "query-cache";

/** Bytes of HMAC kept: 128 bits, far beyond any collision a user's own data could reach. */
const NAME_BYTES = 16;

/**
 * A user's key for keyed names (HMAC-SHA-256), derived from their current data key with HKDF and a
 * per-purpose label (docs/design/encryption.md). Destroying the data key destroys it too: after account
 * deletion nobody can tell which words or queries a name stood for.
 */
export async function blindKey(
  keyring: KeySource,
  userId: string,
  purpose: BlindPurpose,
): Promise<WebCryptoKey> {
  const key = await keyring.current(userId);
  return await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(32),
      info: encoder.encode(`inkwell/${purpose}/v1`),
    },
    key.material,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

/**
 * The keyed name of a value: equal values of one user get equal names, and without the user's key a name
 * cannot be checked against a guess (an unkeyed hash of a short query can).
 */
export async function blindName(key: WebCryptoKey, value: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(value));
  return toBase64Url(new Uint8Array(mac).slice(0, NAME_BYTES));
}
