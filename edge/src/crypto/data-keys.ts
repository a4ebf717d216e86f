import { InkwellError } from "@inkwell/shared";
import { and, eq, inArray, ne, notInArray, sql } from "drizzle-orm";
import { type Database, sqlState } from "../db/client.ts";
import { userDataKeys } from "../db/schema/index.ts";
import type { AppConfig } from "../env.ts";
import { fromBase64Url, toBase64Url, utf8Bytes } from "./base64url.ts";
import type { RootKeys } from "./root-keys.ts";

/**
 * Per-user data keys (docs/design/encryption.md): 32 random bytes per user and key version, stored only
 * wrapped under a version of the root key. Unwrapped, a key lives as non-extractable `CryptoKey`s in one
 * request's keyring and nowhere else.
 */

const encoder = new TextEncoder();
const USER_KEY_BYTES = 32;
const IV_BYTES = 12;
/** The key version new users get; a user-key rotation would add the next one. */
export const FIRST_USER_KEY_VERSION = 1;

/** Thrown when a user has no key of the version a ciphertext names: deleted (shredded) or never made. */
export class DataKeyUnavailableError extends Error {
  override name = "DataKeyUnavailableError";
}

/** The root keys the config holds, with the version new keys are wrapped under (default: the highest). */
export function rootKeysOf(config: Pick<AppConfig, "DATA_ROOT_KEYS" | "DATA_ROOT_KEY_VERSION">): RootKeys {
  const current = config.DATA_ROOT_KEY_VERSION ?? Math.max(...config.DATA_ROOT_KEYS.keys());
  return { current, keys: config.DATA_ROOT_KEYS };
}

/** Web Crypto's key type, named so that Node tooling (without the DOM library) typechecks this file too. */
type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** A user's key, ready for use: the field-encryption key and the material later keys derive from. */
export interface UserDataKey {
  userId: string;
  version: number;
  /** AES-256-GCM for column values. */
  field: WebCryptoKey;
  /** HKDF material for further per-user keys (the blind index). */
  material: WebCryptoKey;
}

/** The root version's wrapping key: HKDF separates it from anything else derived from the same root. */
async function wrappingKey(root: RootKeys, rootVersion: number): Promise<WebCryptoKey> {
  const raw = root.keys.get(rootVersion);
  if (!raw) throw new DataKeyUnavailableError(`root key v${rootVersion} is not configured`);
  const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  return await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(32),
      info: encoder.encode(`inkwell/user-key-wrap/v${rootVersion}`),
    },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Binds a wrapped key to its user and both versions: moved to another row, it does not unwrap. */
function wrapAad(userId: string, version: number, rootVersion: number): Uint8Array<ArrayBuffer> {
  return utf8Bytes(`inkwell/user-key\u0000${userId}\u0000${version}\u0000${rootVersion}`);
}

export async function wrapUserKey(
  root: RootKeys,
  rootVersion: number,
  userId: string,
  version: number,
  raw: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: wrapAad(userId, version, rootVersion) },
    await wrappingKey(root, rootVersion),
    raw,
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return toBase64Url(out);
}

/** The raw key; the caller zeroes it once imported. Throws when it is not this user's key under this root. */
export async function unwrapUserKey(
  root: RootKeys,
  rootVersion: number,
  userId: string,
  version: number,
  wrapped: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = fromBase64Url(wrapped);
  if (!bytes || bytes.length <= IV_BYTES + 16) throw new DataKeyUnavailableError("malformed wrapped key");
  try {
    const raw = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.slice(0, IV_BYTES),
        additionalData: wrapAad(userId, version, rootVersion),
      },
      await wrappingKey(root, rootVersion),
      bytes.slice(IV_BYTES),
    );
    return new Uint8Array(raw);
  } catch {
    throw new DataKeyUnavailableError("the wrapped key does not open under its root key");
  }
}

/** A user key from its raw bytes (which are zeroed): the field key and the material, both non-extractable. */
export async function importUserKey(
  userId: string,
  version: number,
  raw: Uint8Array<ArrayBuffer>,
): Promise<UserDataKey> {
  try {
    const material = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
    const field = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode("inkwell/field/v1") },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    return { userId, version, field, material };
  } finally {
    raw.fill(0);
  }
}

/**
 * One request's view of the data keys: each user's key is read and unwrapped at most once per request,
 * and created on first use. Built per request by the `init` middleware; never shared across requests.
 */
export class DataKeyring {
  private readonly keys = new Map<string, Promise<UserDataKey>>();

  constructor(
    private readonly db: Database,
    private readonly root: RootKeys,
  ) {}

  /** The key new ciphertexts of this user are made with, created (and stored wrapped) if the user has none. */
  current(userId: string): Promise<UserDataKey> {
    return this.memo(userId, FIRST_USER_KEY_VERSION, () => this.loadOrCreate(userId));
  }

  /** The key of the version a ciphertext names; DataKeyUnavailableError when it no longer exists. */
  version(userId: string, version: number): Promise<UserDataKey> {
    return this.memo(userId, version, async () => {
      const key = await this.load(userId, version);
      if (!key) throw new DataKeyUnavailableError("the user has no key of this version");
      return key;
    });
  }

  /** Forgets what this request unwrapped (after the user's keys are destroyed). */
  forget(userId: string): void {
    for (const name of [...this.keys.keys()]) if (name.startsWith(`${userId}:`)) this.keys.delete(name);
  }

  private memo(userId: string, version: number, load: () => Promise<UserDataKey>): Promise<UserDataKey> {
    const name = `${userId}:${version}`;
    let pending = this.keys.get(name);
    if (!pending) {
      pending = load();
      // A failure (Postgres away) is not remembered: a later call in the request tries again.
      pending.catch(() => this.keys.delete(name));
      this.keys.set(name, pending);
    }
    return pending;
  }

  private async load(userId: string, version: number): Promise<UserDataKey | undefined> {
    const [row] = await this.db
      .select({ rootVersion: userDataKeys.rootVersion, wrappedKey: userDataKeys.wrappedKey })
      .from(userDataKeys)
      .where(and(eq(userDataKeys.userId, userId), eq(userDataKeys.version, version)))
      .limit(1);
    if (!row) return undefined;
    const raw = await unwrapUserKey(this.root, row.rootVersion, userId, version, row.wrappedKey);
    return await importUserKey(userId, version, raw);
  }

  private async loadOrCreate(userId: string): Promise<UserDataKey> {
    const existing = await this.load(userId, FIRST_USER_KEY_VERSION);
    if (existing) return existing;
    const raw = crypto.getRandomValues(new Uint8Array(USER_KEY_BYTES));
    const wrappedKey = await wrapUserKey(this.root, this.root.current, userId, FIRST_USER_KEY_VERSION, raw);
    raw.fill(0);
    // Two requests may race to create the key: the first insert wins and both use what it stored. For a
    // deleted user the foreign key refuses the insert, so no key outlives its account; the write that
    // wanted the key is then answered as any write for an account deleted meanwhile.
    try {
      await this.db
        .insert(userDataKeys)
        .values({ userId, version: FIRST_USER_KEY_VERSION, rootVersion: this.root.current, wrappedKey })
        .onConflictDoNothing();
    } catch (error) {
      if (sqlState(error) === "23503") throw new InkwellError("NOT_FOUND", "No such account.");
      throw error;
    }
    const stored = await this.load(userId, FIRST_USER_KEY_VERSION);
    if (!stored) throw new DataKeyUnavailableError("the user's key could not be stored");
    return stored;
  }
}

/**
 * Root-key rotation: re-wraps up to `limit` user keys that are not under the current root version, reading
 * and writing nothing but `user_data_keys` (data ciphertexts name the user key's version, not the root's).
 * Each update is conditional on the root version it read, so two runs never overwrite each other's work.
 * Keys under a root version no longer configured are left as they are and counted as unreadable.
 */
export async function rewrapUserKeys(
  db: Database,
  root: RootKeys,
  options: {
    limit: number;
    /** Only these users' keys (one account moved ahead of the rest); unset: any user's. */
    userIds?: readonly string[];
  },
): Promise<{ rewrapped: number; unreadable: number; remaining: number }> {
  const scope = options.userIds ? [inArray(userDataKeys.userId, [...options.userIds])] : [];
  const readable = [...root.keys.keys()].filter((version) => version !== root.current);
  const stale =
    readable.length === 0
      ? []
      : await db
          .select()
          .from(userDataKeys)
          .where(and(inArray(userDataKeys.rootVersion, readable), ...scope))
          .orderBy(userDataKeys.userId, userDataKeys.version)
          .limit(options.limit);
  let rewrapped = 0;
  for (const row of stale) {
    const raw = await unwrapUserKey(root, row.rootVersion, row.userId, row.version, row.wrappedKey);
    const wrappedKey = await wrapUserKey(root, root.current, row.userId, row.version, raw);
    raw.fill(0);
    const updated = await db
      .update(userDataKeys)
      .set({ rootVersion: root.current, wrappedKey, updatedAt: new Date() })
      .where(
        and(
          eq(userDataKeys.userId, row.userId),
          eq(userDataKeys.version, row.version),
          eq(userDataKeys.rootVersion, row.rootVersion),
        ),
      )
      .returning({ userId: userDataKeys.userId });
    rewrapped += updated.length;
  }
  const [left] = await db
    .select({
      remaining: sql<number>`count(*)::int`,
      unreadable: sql<number>`(count(*) filter (where ${notInArray(userDataKeys.rootVersion, [...root.keys.keys()])}))::int`,
    })
    .from(userDataKeys)
    .where(and(ne(userDataKeys.rootVersion, root.current), ...scope));
  const unreadable = left?.unreadable ?? 0;
  return { rewrapped, unreadable, remaining: left?.remaining ?? 0 };
}
