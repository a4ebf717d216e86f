import {
  type ApiKey,
  type ApiScope,
  type CreateApiKeyRequest,
  type CreatedApiKey,
  hashToken,
  InkwellError,
  type Role,
  randomToken,
  uuidv7,
} from "@inkwell/shared";
import { and, count, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { apiKeys } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { type CacheValue, putCache, withCache } from "../lib/cache.ts";
import { isUuid } from "../lib/ids.ts";
import { log } from "../lib/log.ts";
import { peppersFromConfig } from "../lib/password.ts";
import { setUserKey, userKey } from "../lib/user-keys.ts";
import { confirmPassword } from "./accounts.ts";

export const API_KEY_PREFIX = "ik_";
/** `ik_` and 43 base64url characters (32 random bytes). */
const API_KEY_SHAPE = /^ik_[A-Za-z0-9_-]{43}$/;
/** Enough to tell keys apart on a settings page, far too little to help guess one. */
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
export const MAX_KEYS_PER_USER = 100;
/** `lastUsedAt` is a hint for people cleaning up keys; one write a minute is plenty. */
const LAST_USED_RESOLUTION_SECONDS = 60;

type ApiKeyRow = typeof apiKeys.$inferSelect;
export type VerifiedApiKey = Extract<CacheValue<"apiKey">, { id: string }>;

function toApiKeyView(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as ApiScope[],
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * How recent a password sign-in must be for a key to be created without the password again ("sudo
 * mode"): a session's first minutes, never a token that came from a refresh.
 */
export const KEY_CREATION_FRESH_SECONDS = 5 * 60;

/**
 * A key outlives every session, so minting one needs proof that a person who knows the password is
 * here: the `password` field, or an access token issued by a password sign-in in the last minutes.
 * Without either, a stolen 15-minute access token could mint a permanent full-scope key.
 */
async function confirmKeyCreator(
  services: Services,
  owner: { userId: string; authTime?: number | undefined },
  password: string | undefined,
): Promise<void> {
  if (password !== undefined) {
    await confirmPassword(
      services.db,
      peppersFromConfig(services.config),
      owner.userId,
      password,
      "password",
    );
    return;
  }
  const fresh =
    owner.authTime !== undefined && Date.now() / 1000 - owner.authTime <= KEY_CREATION_FRESH_SECONDS;
  if (!fresh) {
    throw new InkwellError("VALIDATION_FAILED", "Creating an API key needs your password.", {
      errors: [
        {
          path: "password",
          message: `is required unless you signed in with your password in the last ${KEY_CREATION_FRESH_SECONDS / 60} minutes`,
        },
      ],
    });
  }
}

export async function createApiKey(
  services: Services,
  owner: { userId: string; role: Role; authTime?: number | undefined },
  input: CreateApiKeyRequest,
): Promise<CreatedApiKey> {
  if (input.scopes.includes("admin") && owner.role !== "admin") {
    throw new InkwellError("FORBIDDEN", "Only administrators can create keys with the admin scope.");
  }
  await confirmKeyCreator(services, owner, input.password);
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new InkwellError("VALIDATION_FAILED", "The request did not match the schema.", {
      errors: [{ path: "expiresAt", message: "must be in the future" }],
    });
  }
  const [existing] = await services.db
    .select({ n: count() })
    .from(apiKeys)
    .where(eq(apiKeys.userId, owner.userId));
  if ((existing?.n ?? 0) >= MAX_KEYS_PER_USER) {
    throw new InkwellError(
      "CONFLICT",
      `An account can hold at most ${MAX_KEYS_PER_USER} API keys; delete one first.`,
    );
  }
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  const [row] = await services.db
    .insert(apiKeys)
    .values({
      id: uuidv7(),
      userId: owner.userId,
      name: input.name,
      prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      keyHash: await hashToken(key),
      scopes: input.scopes,
      expiresAt,
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return { ...toApiKeyView(row), key };
}

/** Newest first; the cursor is the id of the last key on the previous page (ids sort by creation). */
export async function listApiKeys(
  services: Services,
  userId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: ApiKey[]; nextCursor: string | null }> {
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  const rows = await services.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), after ? lt(apiKeys.id, after) : undefined))
    .orderBy(desc(apiKeys.id))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map(toApiKeyView);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last.id) : null };
}

function encodeCursor(id: string): string {
  return btoa(id).replaceAll("=", "");
}

function decodeCursor(cursor: string): string {
  let id = "";
  try {
    id = atob(cursor);
  } catch {
    // Falls through to the shape check below.
  }
  if (!isUuid(id)) {
    throw new InkwellError("VALIDATION_FAILED", "The request did not match the schema.", {
      errors: [{ path: "cursor", message: "is not a cursor this API issued" }],
    });
  }
  return id;
}

/**
 * Deletes the caller's key. Another user's key is "not found", exactly like one that never existed.
 * The cache gets a tombstone rather than a delete, so a verification that read the row just before
 * the delete cannot put it back (cache fills are SET NX).
 */
export async function deleteApiKey(services: Services, userId: string, keyId: string): Promise<void> {
  if (!isUuid(keyId)) throw new InkwellError("NOT_FOUND", "No such API key.");
  const [row] = await services.db
    .delete(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId)))
    .returning({ keyHash: apiKeys.keyHash });
  if (!row) throw new InkwellError("NOT_FOUND", "No such API key.");
  const told = await putCache(services.redis, "apiKey", row.keyHash, { deleted: true });
  if (!told) {
    // Redis is down, so verifications read Postgres, where the key is already gone; only an entry
    // cached before the outage could outlive the delete, for at most the 60 s TTL.
    log.warn("api key deletion not published to cache");
  }
}

/** Deletes every key of a user (a password change), tombstoning each in the cache; answers how many. */
export async function revokeAllApiKeys(services: Services, userId: string): Promise<number> {
  const rows = await services.db
    .delete(apiKeys)
    .where(eq(apiKeys.userId, userId))
    .returning({ keyHash: apiKeys.keyHash });
  const told = await Promise.all(
    rows.map((row) => putCache(services.redis, "apiKey", row.keyHash, { deleted: true })),
  );
  if (told.includes(false)) {
    log.warn("api key revocation not published to cache");
  }
  return rows.length;
}

/** Whether a presented token has the shape of an API key this server issues. */
export function isApiKeyShaped(presented: string): boolean {
  return API_KEY_SHAPE.test(presented);
}

/**
 * Verifies a presented key: shape, hash lookup (cached 60 s, Postgres when Redis is down), expiry.
 * A key Postgres does not know is cached as a tombstone too, so repeating it costs no query; keys are
 * random, so no key created later can be hidden by one. `beforeLookup` runs (and may throw) only when
 * Postgres is about to be asked.
 */
export async function verifyApiKey(
  services: Services,
  presented: string,
  options: { beforeLookup?: () => Promise<void> } = {},
): Promise<VerifiedApiKey> {
  const invalid = new InkwellError("UNAUTHENTICATED", "The API key is not valid.", {
    headers: { "WWW-Authenticate": 'Bearer realm="inkwell", error="invalid_token"' },
  });
  // Malformed keys never reach the database or the cache.
  if (!isApiKeyShaped(presented)) throw invalid;
  const keyHash = await hashToken(presented);
  const entry = await withCache(services.redis, "apiKey", keyHash, async () => {
    await options.beforeLookup?.();
    const [row] = await services.db
      .select({
        id: apiKeys.id,
        userId: apiKeys.userId,
        scopes: apiKeys.scopes,
        expiresAt: apiKeys.expiresAt,
      })
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, keyHash))
      .limit(1);
    if (!row) return { deleted: true as const };
    return { ...row, scopes: row.scopes as ApiScope[], expiresAt: row.expiresAt?.getTime() ?? null };
  });
  if (!entry || "deleted" in entry) throw invalid;
  if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
    throw new InkwellError("UNAUTHENTICATED", "The API key has expired.", {
      headers: { "WWW-Authenticate": 'Bearer realm="inkwell", error="invalid_token"' },
    });
  }
  return entry;
}

/**
 * Records that a key was used, at most once a minute: Redis SET NX throttles, and the conditional
 * update keeps the promise even when Redis is down. Meant for `waitUntil`, off the response path.
 */
export async function touchApiKey(services: Services, key: { id: string; userId: string }): Promise<void> {
  const keyId = key.id;
  try {
    const first = await setUserKey(
      services.redis,
      key.userId,
      userKey(key.userId, "apikey-used", keyId),
      "1",
      {
        nx: true,
        ttlSeconds: LAST_USED_RESOLUTION_SECONDS,
        timeoutMs: 1_000,
      },
    );
    if (!first) return;
  } catch {
    // Fall through: the update below is conditional anyway.
  }
  await services.db
    .update(apiKeys)
    .set({ lastUsedAt: new Date() })
    .where(
      and(
        eq(apiKeys.id, keyId),
        or(
          isNull(apiKeys.lastUsedAt),
          lt(apiKeys.lastUsedAt, sql`now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS})`),
        ),
      ),
    );
}
