import { InkwellError, type RegisterRequest, type UpdateMeRequest, type User, uuidv7 } from "@inkwell/shared";
import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { users } from "../db/schema/index.ts";
import type { Services } from "../hono-env.ts";
import { log } from "../lib/log.ts";
import {
  burnPasswordCheck,
  hashPassword,
  needsRehash,
  type PasswordHash,
  type Peppers,
  peppersFromConfig,
  verifyPassword,
} from "../lib/password.ts";
import { revokeAllApiKeys } from "./api-keys.ts";
import { endAllSessions } from "./sessions.ts";

/** Failed sign-ins within this window count towards a lock; the lock lasts as long. */
export const LOCKOUT_THRESHOLD = 10;
export const LOCKOUT_WINDOW_SECONDS = 15 * 60;
export const LOCKOUT_SECONDS = 15 * 60;

type UserRow = typeof users.$inferSelect;

export function toUserView(
  row: Pick<UserRow, "id" | "email" | "displayName" | "timezone" | "role" | "weeklyReflection" | "createdAt">,
): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    timezone: row.timezone,
    role: row.role,
    weeklyReflection: row.weeklyReflection,
    createdAt: row.createdAt.toISOString(),
  };
}

const wrongCredentials = () => new InkwellError("UNAUTHENTICATED", "The email or password is not correct.");

function locked(until: Date): InkwellError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return new InkwellError(
    "LOCKED",
    `Too many failed sign-ins: this account is locked for ${Math.ceil(seconds / 60)} more minute(s).`,
    { headers: { "Retry-After": String(seconds) } },
  );
}

/** Creates a user; the email is already lower-cased by the schema. 409 when it is taken. */
export async function createUser(
  db: Database,
  peppers: Peppers,
  input: RegisterRequest,
  role: UserRow["role"] = "user",
): Promise<UserRow> {
  const password = await hashPassword(input.password, peppers);
  const [row] = await db
    .insert(users)
    .values({
      id: uuidv7(),
      email: input.email,
      displayName: input.displayName ?? null,
      timezone: input.timezone ?? "UTC",
      role,
      passwordHash: password.hash,
      passwordSalt: password.salt,
      passwordIterations: password.iterations,
      passwordPepperVersion: password.pepperVersion,
    })
    // The unique index on lower(email) decides, so two racing sign-ups cannot both win.
    .onConflictDoNothing()
    .returning();
  if (!row) throw new InkwellError("CONFLICT", "An account with this email already exists.");
  return row;
}

/**
 * Reserves one password attempt before the (slow) hash is checked: the attempt is counted as a failure
 * up front, in one conditional UPDATE that the row lock serialises, and the count is reset only once the
 * password proves right. Parallel guesses therefore each take a slot, and once the threshold is reached
 * the rest are refused without being checked. Reading the lock first and writing the failure after the
 * hash let any number of parallel attempts through. Throws 423 when the account is locked.
 */
async function reserveAttempt(db: Database, userId: string): Promise<{ lastChance: Date | null }> {
  const next = sql`(case when ${users.lastFailedLoginAt} is null
    or ${users.lastFailedLoginAt} < now() - make_interval(secs => ${LOCKOUT_WINDOW_SECONDS})
    then 1 else ${users.failedLoginCount} + 1 end)`;
  const [row] = await db
    .update(users)
    .set({
      failedLoginCount: sql`case when ${next} >= ${LOCKOUT_THRESHOLD} then 0 else ${next} end`,
      lastFailedLoginAt: sql`now()`,
      lockedUntil: sql`case when ${next} >= ${LOCKOUT_THRESHOLD}
        then now() + make_interval(secs => ${LOCKOUT_SECONDS}) else ${users.lockedUntil} end`,
    })
    .where(and(eq(users.id, userId), or(isNull(users.lockedUntil), lte(users.lockedUntil, sql`now()`))))
    .returning({ lockedUntil: users.lockedUntil });
  if (!row) {
    const [current] = await db
      .select({ lockedUntil: users.lockedUntil })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1);
    throw locked(current?.lockedUntil ?? new Date(Date.now() + LOCKOUT_SECONDS * 1000));
  }
  // This attempt took the last slot: the account is locked unless the password proves right.
  const lastChance = row.lockedUntil && row.lockedUntil.getTime() > Date.now() ? row.lockedUntil : null;
  return { lastChance };
}

/**
 * Checks a password against a user's stored hash under the lockout: reserve, verify, then either clear
 * the reservation (and rehash when the work factor was raised) or leave it counted.
 */
async function verifyWithLockout(
  db: Database,
  peppers: Peppers,
  user: UserRow,
  password: string,
  wrong: () => InkwellError,
): Promise<void> {
  const { lastChance } = await reserveAttempt(db, user.id);
  const stored: PasswordHash = {
    hash: user.passwordHash,
    salt: user.passwordSalt,
    iterations: user.passwordIterations,
    pepperVersion: user.passwordPepperVersion,
  };
  if (!(await verifyPassword(password, stored, peppers))) {
    if (lastChance) {
      log.warn("account locked after failed sign-ins", { userId: user.id });
      throw locked(lastChance);
    }
    throw wrong();
  }
  const changes: Partial<UserRow> = { failedLoginCount: 0, lockedUntil: null, lastFailedLoginAt: null };
  if (needsRehash(stored, peppers)) {
    // The work factor was raised or the pepper changed since this hash was made; the plain password
    // is only here now.
    const upgraded = await hashPassword(password, peppers);
    Object.assign(changes, {
      passwordHash: upgraded.hash,
      passwordSalt: upgraded.salt,
      passwordIterations: upgraded.iterations,
      passwordPepperVersion: upgraded.pepperVersion,
    });
  }
  await db.update(users).set(changes).where(eq(users.id, user.id));
}

/**
 * Checks a password for an account, with lockout. Unknown emails cost the same hash as known ones
 * and fail with the same answer, so neither the body nor the timing tells them apart.
 */
export async function checkCredentials(
  db: Database,
  peppers: Peppers,
  email: string,
  password: string,
  /** Told of a refused attempt on an existing account (wrong password or locked), for its history. */
  onRefused?: (userId: string) => void,
): Promise<UserRow> {
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(sql`lower(${users.email})`, email.toLowerCase()), isNull(users.deletedAt)))
    .limit(1);
  if (!user) {
    await burnPasswordCheck(password, peppers);
    throw wrongCredentials();
  }
  try {
    await verifyWithLockout(db, peppers, user, password, wrongCredentials);
  } catch (err) {
    if (err instanceof InkwellError && (err.code === "UNAUTHENTICATED" || err.code === "LOCKED")) {
      onRefused?.(user.id);
    }
    throw err;
  }
  return user;
}

export async function getUser(db: Database, userId: string): Promise<UserRow> {
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .limit(1);
  if (!user) throw new InkwellError("UNAUTHENTICATED", "The account no longer exists.");
  return user;
}

export async function updateProfile(db: Database, userId: string, patch: UpdateMeRequest): Promise<UserRow> {
  const changes: Partial<UserRow> = {};
  if (patch.displayName !== undefined) changes.displayName = patch.displayName;
  if (patch.timezone !== undefined) changes.timezone = patch.timezone;
  if (patch.weeklyReflection !== undefined) changes.weeklyReflection = patch.weeklyReflection;
  if (Object.keys(changes).length === 0) return await getUser(db, userId);
  const [row] = await db
    .update(users)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .returning();
  if (!row) throw new InkwellError("UNAUTHENTICATED", "The account no longer exists.");
  return row;
}

/**
 * Sets a new password after checking the current one (a wrong one counts towards the lockout, so a
 * stolen access token cannot be used to guess it), then ends every session and revokes every API key:
 * a password change is what people do when they fear someone else is signed in.
 */
/**
 * Checks the signed-in user's password before a sensitive change. A wrong one counts towards the
 * sign-in lockout (so a stolen access token cannot be used to guess it) and is 400 on `field`.
 */
export async function confirmPassword(
  db: Database,
  peppers: Peppers,
  userId: string,
  password: string,
  field: string,
): Promise<UserRow> {
  const user = await getUser(db, userId);
  await verifyWithLockout(
    db,
    peppers,
    user,
    password,
    () =>
      new InkwellError("VALIDATION_FAILED", "The password is not correct.", {
        errors: [{ path: field, message: "is not correct" }],
      }),
  );
  return user;
}

export async function changePassword(
  services: Services,
  userId: string,
  currentPassword: string,
  newPassword: string,
): Promise<{ user: UserRow; revokedApiKeys: number }> {
  const { db } = services;
  const peppers = peppersFromConfig(services.config);
  await confirmPassword(db, peppers, userId, currentPassword, "currentPassword");
  const next = await hashPassword(newPassword, peppers);
  await db
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
    .where(eq(users.id, userId));
  await endAllSessions(services, userId);
  // Keys are credentials too: whoever the owner fears may hold the password may have minted some.
  const revokedApiKeys = await revokeAllApiKeys(services, userId);
  return { user: await getUser(db, userId), revokedApiKeys };
}
