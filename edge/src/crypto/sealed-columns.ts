import { decryptField, encryptField, type KeySource } from "./field-cipher.ts";

/**
 * Journal text in Postgres columns (docs/design/encryption.md, "Migration of existing rows"): each text
 * column has a sealed twin (`content` and `content_ct`). Writes fill the sealed one and leave the
 * plaintext one empty; reads prefer the sealed one and fall back to the plaintext one, which only rows
 * written before encryption (and not yet migrated) still hold. The column named in the associated data
 * is the plaintext column's, so a value sealed for one column opens in no other.
 */
export interface ColumnRef {
  userId: string;
  table: string;
  rowId: string;
}

const fieldOf = (row: ColumnRef, column: string) => ({ ...row, column });

export async function sealText(
  keys: KeySource,
  row: ColumnRef,
  column: string,
  text: string,
): Promise<string> {
  return await encryptField(keys, fieldOf(row, column), text);
}

export async function sealJson(
  keys: KeySource,
  row: ColumnRef,
  column: string,
  value: unknown,
): Promise<string> {
  return await encryptField(keys, fieldOf(row, column), JSON.stringify(value));
}

/** The column's text: the sealed value when there is one, else the plaintext of an unmigrated row. */
export async function openText<P extends string | null>(
  keys: KeySource,
  row: ColumnRef,
  column: string,
  sealed: string | null,
  plaintext: P,
): Promise<string | P> {
  return sealed === null ? plaintext : await decryptField(keys, fieldOf(row, column), sealed);
}

/** As openText, for a value stored as JSON. */
export async function openJson<T, P extends T | null>(
  keys: KeySource,
  row: ColumnRef,
  column: string,
  sealed: string | null,
  plaintext: P,
): Promise<T | P> {
  return sealed === null
    ? plaintext
    : (JSON.parse(await decryptField(keys, fieldOf(row, column), sealed)) as T);
}
