import { toHex } from "@inkwell/shared";

/**
 * PBKDF2-SHA256 through WebCrypto. Cloudflare's production runtime refuses more than 100,000
 * iterations (local workerd does not enforce it, so tests alone would not notice), and 100,000 costs
 * about 14 ms of CPU per hash in workerd here (see test/auth/password-cost.test.ts): the highest count
 * the platform allows, and still comfortable inside a Worker's CPU budget.
 */
export const PBKDF2_MAX_ITERATIONS = 100_000;
export const PASSWORD_ITERATIONS = 100_000;

const SALT_BYTES = 16;
const HASH_BITS = 256;
const encoder = new TextEncoder();

export interface PasswordHash {
  hash: string;
  salt: string;
  iterations: number;
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(Math.floor(hex.length / 2)));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

async function derive(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array> {
  // Several byte sequences look the same on screen; normalising keeps a password typed on another
  // device the same password.
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password.normalize("NFC")),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    HASH_BITS,
  );
  return new Uint8Array(bits);
}

/** Compares every byte whatever the first difference, so timing says nothing about the hash. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export async function hashPassword(
  password: string,
  iterations = PASSWORD_ITERATIONS,
): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(new ArrayBuffer(SALT_BYTES)));
  return { hash: toHex(await derive(password, salt, iterations)), salt: toHex(salt), iterations };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  // A tampered row must not be able to demand unbounded work (or a count the platform refuses).
  const iterations = Math.min(Math.max(stored.iterations, 1), PBKDF2_MAX_ITERATIONS);
  const derived = await derive(password, fromHex(stored.salt), iterations);
  return constantTimeEqual(derived, fromHex(stored.hash)) && iterations === stored.iterations;
}

/** Hashes were made with fewer iterations than we use now: upgrade them when the password is at hand. */
export function needsRehash(stored: PasswordHash): boolean {
  return stored.iterations < PASSWORD_ITERATIONS;
}

const DUMMY: PasswordHash = {
  hash: "0".repeat(HASH_BITS / 4),
  salt: "0".repeat(SALT_BYTES * 2),
  iterations: PASSWORD_ITERATIONS,
};

/**
 * Spends the same work as a real check for an account that does not exist, so response time does
 * not tell an attacker which emails are registered.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  await verifyPassword(password, DUMMY);
}
