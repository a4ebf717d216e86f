import { InkwellError, toHex } from "@inkwell/shared";

/** Position after the last item of a page, newest-first by (occurredAt, id). */
export interface Position {
  at: string;
  id: string;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

async function hmac(secret: string, payload: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(`cursor:${secret}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return toHex(await crypto.subtle.sign("HMAC", key, encoder.encode(payload))).slice(0, 32);
}

/** Cursors are signed, so a client cannot forge one that reads outside the query it came from. */
export async function encodeCursor(secret: string, position: Position): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify([position.at, position.id])));
  return `${payload}.${await hmac(secret, payload)}`;
}

export async function decodeCursor(secret: string, cursor: string): Promise<Position> {
  const invalid = () =>
    new InkwellError(
      "VALIDATION_FAILED",
      "The cursor is not valid; use nextCursor exactly as a page returned it.",
      {
        errors: [{ path: "cursor", message: "not a cursor this API issued" }],
      },
    );
  const [payload, signature] = cursor.split(".");
  if (!payload || !signature || (await hmac(secret, payload)) !== signature) throw invalid();
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
    if (Array.isArray(parsed) && typeof parsed[0] === "string" && typeof parsed[1] === "string") {
      if (Number.isNaN(Date.parse(parsed[0]))) throw invalid();
      return { at: parsed[0], id: parsed[1] };
    }
  } catch {
    // Fall through to the same answer as a bad signature.
  }
  throw invalid();
}

/**
 * Cursors for lists not ordered by time (topics by name, nodes by name, session types in their fixed
 * order): the position is the sort key of the last item, and the list's name is signed with it, so a
 * cursor from one list is refused by another.
 */
export async function encodeKeyCursor(secret: string, list: string, key: readonly string[]): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify([list, ...key])));
  return `${payload}.${await hmac(secret, payload)}`;
}

export async function decodeKeyCursor(
  secret: string,
  list: string,
  cursor: string,
  length: number,
): Promise<string[]> {
  const invalid = new InkwellError(
    "VALIDATION_FAILED",
    "The cursor is not valid; use nextCursor exactly as a page of this list returned it.",
    { errors: [{ path: "cursor", message: "not a cursor this API issued for this list" }] },
  );
  const [payload, signature] = cursor.split(".");
  if (!payload || !signature || (await hmac(secret, payload)) !== signature) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
  } catch {
    throw invalid;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== length + 1 ||
    parsed[0] !== list ||
    !parsed.every((part) => typeof part === "string")
  ) {
    throw invalid;
  }
  return parsed.slice(1) as string[];
}
