import { type AdminUser, type AdminUserDetail, InkwellError } from "@inkwell/shared";
import { and, eq, isNull, sql } from "drizzle-orm";
import { refreshTokens, users } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { deleteAccount } from "./account-deletion.ts";
import { recordAdminAction } from "./admin-audit.ts";
import { publishAuthState } from "./auth-state.ts";
import { endAllSessions } from "./sessions.ts";
import { lockWriter } from "./writer-locks.ts";

type UserRow = typeof users.$inferSelect;

const noSuchUser = () => new InkwellError("NOT_FOUND", "No user with that id.");

export function toAdminUser(row: UserRow): AdminUser {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role,
    timezone: row.timezone,
    disabled: row.disabledAt !== null,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    lockedUntil:
      row.lockedUntil && row.lockedUntil.getTime() > Date.now() ? row.lockedUntil.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}

async function liveUser(services: Services, userId: string): Promise<UserRow> {
  const [row] = await services.db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .limit(1);
  if (!row) throw noSuchUser();
  return row;
}

/** The account with counts of what it holds; never what it wrote. */
export async function getAdminUser(services: Services, userId: string): Promise<AdminUserDetail> {
  const row = await liveUser(services, userId);
  const [counts] = await services.db.execute<{
    entries: number;
    sessions: number;
    sign_ins: number;
    api_keys: number;
    last_sign_in: string | null;
  }>(sql`
    select
      (select count(*)::int from entries where user_id = ${userId}::uuid and deleted_at is null) as entries,
      (select count(*)::int from chat_sessions where user_id = ${userId}::uuid) as sessions,
      (select count(distinct family_id)::int from refresh_tokens
        where user_id = ${userId}::uuid and revoked_at is null and used_at is null and expires_at > now())
        as sign_ins,
      (select count(*)::int from api_keys
        where user_id = ${userId}::uuid and (expires_at is null or expires_at > now())) as api_keys,
      (select max(created_at) from sign_in_events where user_id = ${userId}::uuid and succeeded)
        as last_sign_in`);
  return {
    ...toAdminUser(row),
    entryCount: counts?.entries ?? 0,
    sessionCount: counts?.sessions ?? 0,
    activeSignIns: counts?.sign_ins ?? 0,
    apiKeyCount: counts?.api_keys ?? 0,
    lastSignInAt: counts?.last_sign_in ? new Date(counts.last_sign_in).toISOString() : null,
  };
}

function notOnYourself(actorId: string, userId: string, detail: string): void {
  if (actorId === userId) throw new InkwellError("CONFLICT", detail);
}

/**
 * Disables or enables an account. Disabling ends every signed-in session (refresh tokens revoked, the
 * token version bumped) and refuses the account's API keys while it lasts; enabling lets the keys work
 * again, and the person signs in anew. Either bumps the token version, so the state published to the
 * cache is newer than anything a racing writer could publish. Asking for the state the account is
 * already in changes and records nothing.
 */
export async function setUserDisabled(
  services: Services,
  userId: string,
  actorId: string,
  disabled: boolean,
): Promise<AdminUser> {
  if (disabled) notOnYourself(actorId, userId, "An administrator cannot disable their own account.");
  const now = new Date();
  const row = await services.db.transaction(async (tx) => {
    // The writer's row first, as sign-ins, refreshes and sign-outs take it (writer-locks.ts).
    if (!(await lockWriter(tx, userId, "no key update"))) return null;
    const [current] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!current || (current.disabledAt !== null) === disabled) return { row: current, changed: false };
    const [updated] = await tx
      .update(users)
      .set({
        disabledAt: disabled ? now : null,
        tokenVersion: sql`${users.tokenVersion} + 1`,
        updatedAt: now,
      })
      .where(eq(users.id, userId))
      .returning();
    if (disabled) {
      await tx
        .update(refreshTokens)
        .set({ revokedAt: now })
        .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
    }
    await recordAdminAction(tx, {
      actorId,
      action: disabled ? "user.disable" : "user.enable",
      targetType: "user",
      targetId: userId,
    });
    return { row: updated, changed: true };
  });
  if (!row?.row) throw noSuchUser();
  const user = row.row;
  if (row.changed) {
    await publishAuthState(services, userId, {
      tokenVersion: user.tokenVersion,
      role: user.role,
      timezone: user.timezone,
      disabled: user.disabledAt !== null,
    });
  }
  return toAdminUser(user);
}

/** Signs the account out everywhere, as its owner's logout-all does; its API keys keep working. */
export async function forceSignOut(services: Services, userId: string, actorId: string): Promise<void> {
  await liveUser(services, userId);
  const ended = await endAllSessions(services, userId, (tx) =>
    recordAdminAction(tx, { actorId, action: "user.sign-out", targetType: "user", targetId: userId }),
  );
  if (!ended) throw noSuchUser();
}

/**
 * Deletes the account and everything in it, exactly as its owner's `DELETE /v1/me` does. The audit row
 * keeps the account's id and nothing else of it.
 */
export async function deleteUserAsAdmin(
  services: Services,
  userId: string,
  actorId: string,
): Promise<{ purgeJobId: string }> {
  notOnYourself(
    actorId,
    userId,
    "An administrator cannot delete their own account here; DELETE /v1/me does, with the password.",
  );
  await liveUser(services, userId);
  return await deleteAccount(services, userId, (tx, purgeJobId) =>
    recordAdminAction(tx, {
      actorId,
      action: "user.delete",
      targetType: "user",
      targetId: userId,
      detail: { purgeJobId },
    }),
  );
}
