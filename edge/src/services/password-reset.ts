import {
  hashToken,
  InkwellError,
  type IssuedPasswordReset,
  PASSWORD_RESET_TTL_MINUTES,
  randomToken,
  uuidv7,
} from "@inkwell/shared";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { passwordResetTokens, users } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { mailSettings, sendMail } from "../lib/mail.ts";
import { hashPassword, peppersFromConfig } from "../lib/password.ts";
import { revokeAllApiKeys } from "./api-keys.ts";
import { endAllSessions } from "./sessions.ts";
import { lockWriter } from "./writer-locks.ts";

/** Recognisable in logs and secret scanners, and never confused with other tokens (`rt_`, `ik_`). */
const RESET_TOKEN_PREFIX = "pr_";

export const invalidResetToken = () =>
  new InkwellError("UNAUTHENTICATED", "The reset token is not valid, was already used or has expired.");

function resetUrl(base: string | undefined, token: string): string | null {
  if (!base) return null;
  const url = new URL(base);
  url.searchParams.set("token", token);
  return url.toString();
}

/**
 * Makes a new token for the user, ending any earlier one that was not used: only the latest works.
 * Answers null when the account is gone. Takes the user's row first (writer-locks.ts).
 */
async function newResetToken(
  tx: Tx,
  userId: string,
  issuedBy: string | null,
): Promise<{ token: string; expiresAt: Date } | null> {
  if (!(await lockWriter(tx, userId, "no key update"))) return null;
  const token = `${RESET_TOKEN_PREFIX}${randomToken(32)}`;
  const expiresAt = new Date(Date.now() + PASSWORD_RESET_TTL_MINUTES * 60_000);
  await tx.delete(passwordResetTokens).where(eq(passwordResetTokens.userId, userId));
  await tx.insert(passwordResetTokens).values({
    id: uuidv7(),
    userId,
    tokenHash: await hashToken(token),
    issuedBy,
    expiresAt,
  });
  return { token, expiresAt };
}

/**
 * An administrator's reset for a user who cannot sign in (no mail needed): the token is handed to the
 * administrator once, to pass on. 404 when there is no such account. `record` runs in the same
 * transaction, for the audit log.
 */
export async function issuePasswordReset(
  services: Services,
  userId: string,
  issuedBy: string,
  record?: (tx: Tx) => Promise<void>,
): Promise<IssuedPasswordReset> {
  const issued = await services.db.transaction(async (tx) => {
    const made = await newResetToken(tx, userId, issuedBy);
    if (made) await record?.(tx);
    return made;
  });
  if (!issued) throw new InkwellError("NOT_FOUND", "No user with that id.");
  return {
    userId,
    token: issued.token,
    url: resetUrl(services.config.PASSWORD_RESET_URL, issued.token),
    expiresAt: issued.expiresAt.toISOString(),
  };
}

/**
 * A forgotten-password request: when the address belongs to an account that may sign in, a token is
 * made and mailed. Runs after the response, which is the same whatever happens here, so neither its
 * body nor its timing tells whether the account exists. Without a mail provider nothing is done.
 */
export async function mailPasswordReset(services: Services, email: string): Promise<void> {
  const settings = mailSettings(services.config);
  if (!settings) return;
  const [user] = await services.db
    .select({ id: users.id, email: users.email })
    .from(users)
    // A disabled account cannot sign in whatever its password, so it is mailed nothing.
    .where(
      and(
        eq(sql`lower(${users.email})`, email.toLowerCase()),
        isNull(users.deletedAt),
        isNull(users.disabledAt),
      ),
    )
    .limit(1);
  if (!user) return;
  const issued = await services.db.transaction(async (tx) => await newResetToken(tx, user.id, null));
  if (!issued) return;
  const link = resetUrl(services.config.PASSWORD_RESET_URL, issued.token);
  await sendMail(settings, {
    to: user.email,
    subject: "Reset your Inkwell password",
    text: [
      "Someone asked to reset the password of your Inkwell account.",
      `If it was you, use this within ${PASSWORD_RESET_TTL_MINUTES} minutes; it works once:`,
      "",
      link ?? `Reset token: ${issued.token}`,
      "",
      "Setting a new password signs you out everywhere and revokes your API keys.",
      "If it was not you, ignore this message: your password stays as it is.",
    ].join("\n"),
  });
}

/**
 * Spends a reset token and sets the new password, in one transaction that takes the user's row first;
 * then every session ends and every API key is revoked, as after a password change. A token that is
 * unknown, used, superseded or expired is refused with 401, all alike.
 */
export async function resetPassword(
  services: Services,
  token: string,
  newPassword: string,
): Promise<{ userId: string; revokedApiKeys: number }> {
  const tokenHash = await hashToken(token);
  const next = await hashPassword(newPassword, peppersFromConfig(services.config));
  const userId = await services.db.transaction(async (tx) => {
    const [known] = await tx
      .select({ userId: passwordResetTokens.userId })
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.tokenHash, tokenHash))
      .limit(1);
    if (!known) return null;
    if (!(await lockWriter(tx, known.userId, "no key update"))) return null;
    const [spent] = await tx
      .update(passwordResetTokens)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(passwordResetTokens.tokenHash, tokenHash),
          isNull(passwordResetTokens.usedAt),
          gt(passwordResetTokens.expiresAt, sql`now()`),
        ),
      )
      .returning({ userId: passwordResetTokens.userId });
    if (!spent) return null;
    await tx
      .update(users)
      .set({
        passwordHash: next.hash,
        passwordSalt: next.salt,
        passwordIterations: next.iterations,
        passwordPepperVersion: next.pepperVersion,
        failedLoginCount: 0,
        lockedUntil: null,
        lastFailedLoginAt: null,
        updatedAt: new Date(),
      })
      .where(eq(users.id, spent.userId));
    return spent.userId;
  });
  if (!userId) throw invalidResetToken();
  await endAllSessions(services, userId);
  const revokedApiKeys = await revokeAllApiKeys(services, userId);
  return { userId, revokedApiKeys };
}
