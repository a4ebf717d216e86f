import { fromBase64Url, toBase64Url, utf8Bytes } from "./base64url.ts";
import { type DataKeyring, DataKeyUnavailableError } from "./data-keys.ts";

/** Where keys come from: a request's keyring (anything with its two lookups). */
export type KeySource = Pick<DataKeyring, "current" | "version">;

/**
 * One column value encrypted with its owner's data key (AES-256-GCM, a random 96-bit IV per value). The
 * text is self-describing, `ik1.<user key version>.<base64url of IV, ciphertext and tag>`, and the
 * associated data binds the format, user, table, row, column and key version: a ciphertext copied to
 * another row, column or user does not decrypt.
 */
export interface FieldRef {
  userId: string;
  table: string;
  rowId: string;
  column: string;
}

const FORMAT = "ik1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const SHAPE = /^ik1\.([1-9][0-9]{0,5})\.([A-Za-z0-9_-]+)$/;

/** Thrown when a value is not a ciphertext of this field, or was altered. */
export class FieldDecryptError extends Error {
  override name = "FieldDecryptError";
}

function associatedData(ref: FieldRef, version: number): Uint8Array<ArrayBuffer> {
  for (const part of [ref.userId, ref.table, ref.rowId, ref.column]) {
    // A separator inside a part would let two different refs share associated data.
    if (part.includes("\u0000")) throw new Error("a field reference part may not contain NUL");
  }
  return utf8Bytes([FORMAT, ref.userId, ref.table, ref.rowId, ref.column, String(version)].join("\u0000"));
}

/** Whether a stored value is a ciphertext (rather than plaintext from before the migration). */
export function isFieldCiphertext(value: string): boolean {
  return SHAPE.test(value);
}

export async function encryptField(keyring: KeySource, ref: FieldRef, plaintext: string): Promise<string> {
  const key = await keyring.current(ref.userId);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: associatedData(ref, key.version) },
    key.field,
    encoder.encode(plaintext),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return `${FORMAT}.${key.version}.${toBase64Url(out)}`;
}

/**
 * The plaintext of a ciphertext made for exactly this field. FieldDecryptError when it is malformed,
 * belongs elsewhere or was altered; DataKeyUnavailableError when its key is gone (a deleted account).
 */
export async function decryptField(keyring: KeySource, ref: FieldRef, ciphertext: string): Promise<string> {
  const match = SHAPE.exec(ciphertext);
  const bytes = match ? fromBase64Url(match[2] ?? "") : undefined;
  if (!match || !bytes || bytes.length < IV_BYTES + TAG_BYTES) {
    throw new FieldDecryptError("not a field ciphertext");
  }
  const version = Number(match[1]);
  const key = await keyring.version(ref.userId, version);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES), additionalData: associatedData(ref, version) },
      key.field,
      bytes.slice(IV_BYTES),
    );
    return decoder.decode(plain);
  } catch (error) {
    if (error instanceof DataKeyUnavailableError) throw error;
    throw new FieldDecryptError("the ciphertext does not belong to this field or was altered");
  }
}
