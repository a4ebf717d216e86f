import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Random id in QStash's style (`msg_…`); alphanumeric only because ids double as file names. */
export function randomId(prefix: string, length = 26): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return `${prefix}_${out}`;
}

/** Ids we created ourselves; anything else is refused before it reaches the file system or a lookup. */
export function isWellFormedId(id: string): boolean {
  return /^[a-z]+_[0-9A-Za-z]{8,64}$/.test(id);
}
