import { hashToken, InkwellError, type Role, randomToken, uuidv7 } from "@inkwell/shared";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { refreshTokens, users } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { signAccessToken } from "../lib/access-token.ts";
import { log } from "../lib/log.ts";
import { publishAuthState } from "./auth-state.ts";
import { lockWriter } from "./writer-locks.ts";

export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Recognisable in logs and secret scanners, and never confused with an API key (`ik_`). */
const REFRESH_TOKEN_PREFIX = "rt_";

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

interface SessionSubject {
  id: string;
  role: Role;
  tokenVersion: number;
}

function newRefreshToken(): string {
  return `${REFRESH_TOKEN_PREFIX}${randomToken(32)}`;
}

async function issueAccessToken(services: Services, subject: SessionSubject, authTime?: number) {
  return await signAccessToken(
    { userId: subject.id, role: subject.role, tokenVersion: subject.tokenVersion, authTime },
    services.config.JWT_SECRET,
  );
}

/**
 * Starts a new refresh-token family (one per sign-in) and issues its first pair. Called only right
 * after the password was checked, so the access token carries `auth_time`.
 */
export async function startSession(
  services: Services,
  subject: SessionSubject,
  /** The family's id, when the caller records the sign-in under it (account-security.ts). */
  familyId: string = uuidv7(),
): Promise<SessionTokens> {
  const refreshToken = newRefreshToken();
  await services.db.insert(refreshTokens).values({
    id: uuidv7(),
    userId: subject.id,
    familyId,
    tokenHash: await hashToken(refreshToken),
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
  });
  const access = await issueAccessToken(services, subject, Math.floor(Date.now() / 1000));
  return { accessToken: access.token, refreshToken, expiresIn: access.expiresIn };
}

/** The one answer for every credential of a disabled account, so clients can tell it from a bad token. */
export const accountDisabled = () =>
  new InkwellError(
    "ACCOUNT_DISABLED",
    "This account has been disabled by an administrator; ask them to enable it again.",
  );

const refreshRefused = () =>
  new InkwellError("UNAUTHENTICATED", "The refresh token is not valid; sign in again.", {
    headers: { "WWW-Authenticate": 'Bearer realm="inkwell", error="invalid_token"' },
  });

/**
 * Spends a refresh token and issues its successor in the same family. Presenting a token that was
 * already spent or revoked means two parties hold it, so the whole family is revoked and both must
 * sign in again.
 */
export async function rotateRefreshToken(
  services: Services,
  presented: string,
): Promise<SessionTokens & { userId: string }> {
  const tokenHash = await hashToken(presented);
  const next = newRefreshToken();
  const nextHash = await hashToken(next);
  const now = new Date();

  const outcome = await services.db.transaction(async (tx) => {
    // Rotation, reuse detection, sign-out and logout-all serialise on the user's row (see lockUser).
    const [owner] = await tx
      .select({ userId: refreshTokens.userId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .limit(1);
    if (!owner) return { kind: "invalid" as const };
    await lockUser(tx, owner.userId);
    // Before reuse detection: disabling revoked every token, and presenting one must say why, not
    // count as reuse.
    const [account] = await tx
      .select({ disabledAt: users.disabledAt })
      .from(users)
      .where(eq(users.id, owner.userId))
      .limit(1);
    if (account?.disabledAt) return { kind: "disabled" as const };
    const [spent] = await tx
      .update(refreshTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(refreshTokens.tokenHash, tokenHash),
          isNull(refreshTokens.usedAt),
          isNull(refreshTokens.revokedAt),
          gt(refreshTokens.expiresAt, now),
        ),
      )
      .returning({ userId: refreshTokens.userId, familyId: refreshTokens.familyId });
    if (!spent) {
      const [known] = await tx
        .select({
          familyId: refreshTokens.familyId,
          usedAt: refreshTokens.usedAt,
          revokedAt: refreshTokens.revokedAt,
        })
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, tokenHash))
        .limit(1);
      if (known && (known.usedAt || known.revokedAt)) {
        await tx
          .update(refreshTokens)
          .set({ revokedAt: now })
          .where(and(eq(refreshTokens.familyId, known.familyId), isNull(refreshTokens.revokedAt)));
        return { kind: "reused" as const };
      }
      return { kind: "invalid" as const };
    }
    const [user] = await tx
      .select({ id: users.id, role: users.role, tokenVersion: users.tokenVersion })
      .from(users)
      .where(and(eq(users.id, spent.userId), isNull(users.deletedAt)))
      .limit(1);
    if (!user) return { kind: "invalid" as const };
    await tx.insert(refreshTokens).values({
      id: uuidv7(),
      userId: user.id,
      familyId: spent.familyId,
      tokenHash: nextHash,
      expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000),
    });
    return { kind: "rotated" as const, user };
  });

  if (outcome.kind === "reused") {
    log.warn("refresh token reuse: family revoked");
    throw refreshRefused();
  }
  if (outcome.kind === "invalid") throw refreshRefused();
  if (outcome.kind === "disabled") throw accountDisabled();
  const access = await issueAccessToken(services, outcome.user);
  return {
    userId: outcome.user.id,
    accessToken: access.token,
    refreshToken: next,
    expiresIn: access.expiresIn,
  };
}

/**
 * Takes the user's row lock for the rest of the transaction (first, as writer-locks.ts orders it).
 * Everything that adds or revokes a user's refresh tokens takes it first: under READ COMMITTED a revoking
 * UPDATE never sees a row that a concurrent rotation inserts, so without it a rotation racing logout-all,
 * a password change, a sign-out or reuse detection could leave its fresh token alive. `NO KEY UPDATE`
 * serialises these among themselves and leaves other writes (their KEY SHARE lock) unblocked.
 */
async function lockUser(tx: Tx, userId: string): Promise<void> {
  await lockWriter(tx, userId, "no key update");
}

/** Revokes the family the token belongs to (sign out on one device). Unknown tokens are ignored. */
export async function revokeFamilyOf(services: Services, presented: string): Promise<void> {
  const tokenHash = await hashToken(presented);
  await services.db.transaction(async (tx) => {
    const [known] = await tx
      .select({ userId: refreshTokens.userId, familyId: refreshTokens.familyId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .limit(1);
    if (!known) return;
    await lockUser(tx, known.userId);
    await tx
      .update(refreshTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(refreshTokens.familyId, known.familyId), isNull(refreshTokens.revokedAt)));
  });
}

/**
 * Signs the user out everywhere: every refresh token is revoked and the token version bumped, so
 * access tokens already handed out stop working on their next request rather than at expiry. `record`
 * runs in the same transaction when the account exists (an administrator's audit row).
 */
export async function endAllSessions(
  services: Services,
  userId: string,
  record?: (tx: Tx) => Promise<void>,
): Promise<boolean> {
  const now = new Date();
  const state = await services.db.transaction(async (tx) => {
    // The version bump comes first: it takes the user's row lock (lockUser), so a rotation in flight
    // commits its successor before the revoking statement below runs, and that statement sees it.
    const [row] = await tx
      .update(users)
      .set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now })
      .where(eq(users.id, userId))
      .returning({
        tokenVersion: users.tokenVersion,
        role: users.role,
        timezone: users.timezone,
        disabledAt: users.disabledAt,
      });
    await tx
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
    if (row) await record?.(tx);
    return row;
  });
  if (!state) return false;
  const { disabledAt, ...published } = state;
  await publishAuthState(services, userId, { ...published, disabled: disabledAt !== null });
  return true;
}
