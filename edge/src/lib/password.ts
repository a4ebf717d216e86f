import { toHex } from "@inkwell/shared";
import { utf8Bytes } from "../crypto/base64url.ts";

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

/** Hashes made before the pepper existed; they still verify and are upgraded at the next sign-in. */
export const NO_PEPPER = 0;

export interface PasswordHash {
  hash: string;
  salt: string;
  iterations: number;
  /** Which pepper went into the hash: NO_PEPPER, or a PASSWORD_PEPPER_VERSION. */
  pepperVersion: number;
}

export interface Pepper {
  version: number;
  secret: string;
}

/**
 * The pepper new hashes use and, while rotating, the one before it. The pepper lives in the Worker's
 * secrets, never in Postgres, so a copy of the users table alone cannot be used to test guesses:
 * PBKDF2 is held to 100,000 iterations by the platform, and the pepper is what the row lacks.
 */
export interface Peppers {
  current: Pepper;
  previous?: Pepper;
}

/** The peppers from validated configuration (the previous one is the version before the current). */
export function peppersFromConfig(config: {
  PASSWORD_PEPPER: string;
  PASSWORD_PEPPER_VERSION: number;
  PASSWORD_PREVIOUS_PEPPER?: string | undefined;
}): Peppers {
  const current = { version: config.PASSWORD_PEPPER_VERSION, secret: config.PASSWORD_PEPPER };
  return config.PASSWORD_PREVIOUS_PEPPER === undefined
    ? { current }
    : { current, previous: { version: current.version - 1, secret: config.PASSWORD_PREVIOUS_PEPPER } };
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(Math.floor(hex.length / 2)));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** HMAC-SHA256(pepper, password): the key material PBKDF2 stretches; with NO_PEPPER, the password. */
async function keyMaterial(password: string, pepper: Pepper): Promise<Uint8Array<ArrayBuffer> | ArrayBuffer> {
  // Several byte sequences look the same on screen; normalising keeps a password typed on another
  // device the same password.
  const normalised = utf8Bytes(password.normalize("NFC"));
  if (pepper.version === NO_PEPPER) return normalised;
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    encoder.encode(pepper.secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return await crypto.subtle.sign("HMAC", hmacKey, normalised);
}

async function derive(
  password: string,
  pepper: Pepper,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", await keyMaterial(password, pepper), "PBKDF2", false, [
    "deriveBits",
  ]);
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
  peppers: Peppers,
  iterations = PASSWORD_ITERATIONS,
): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(new ArrayBuffer(SALT_BYTES)));
  const hash = toHex(await derive(password, peppers.current, salt, iterations));
  return { hash, salt: toHex(salt), iterations, pepperVersion: peppers.current.version };
}

/** The pepper a stored hash was made with; null when it is no longer configured (or never was). */
function pepperFor(stored: PasswordHash, peppers: Peppers): Pepper | null {
  if (stored.pepperVersion === NO_PEPPER) return { version: NO_PEPPER, secret: "" };
  if (stored.pepperVersion === peppers.current.version) return peppers.current;
  if (peppers.previous && stored.pepperVersion === peppers.previous.version) return peppers.previous;
  return null;
}

export async function verifyPassword(
  password: string,
  stored: PasswordHash,
  peppers: Peppers,
): Promise<boolean> {
  // A tampered row must not be able to demand unbounded work (or a count the platform refuses).
  const iterations = Math.min(Math.max(stored.iterations, 1), PBKDF2_MAX_ITERATIONS);
  const pepper = pepperFor(stored, peppers);
  // A retired pepper fails, after the same work, so timing does not single such accounts out.
  const derived = await derive(password, pepper ?? peppers.current, fromHex(stored.salt), iterations);
  return (
    pepper !== null && constantTimeEqual(derived, fromHex(stored.hash)) && iterations === stored.iterations
  );
}

/**
 * The hash was made with fewer iterations than we use now, or with another pepper than the current
 * one (none, or the previous while rotating): upgrade it while the password is at hand.
 */
export function needsRehash(stored: PasswordHash, peppers: Peppers): boolean {
  return stored.iterations < PASSWORD_ITERATIONS || stored.pepperVersion !== peppers.current.version;
}

const DUMMY = {
  hash: "0".repeat(HASH_BITS / 4),
  salt: "0".repeat(SALT_BYTES * 2),
  iterations: PASSWORD_ITERATIONS,
};

/**
 * Spends the same work as a real check for an account that does not exist, so response time does
 * not tell an attacker which emails are registered.
 */
export async function burnPasswordCheck(password: string, peppers: Peppers): Promise<void> {
  await verifyPassword(password, { ...DUMMY, pepperVersion: peppers.current.version }, peppers);
}
