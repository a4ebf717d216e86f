import { type AccountSecurity, InkwellError, uuidv7 } from "@inkwell/shared";
import { and, desc, eq, gt, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Context } from "hono";
import { refreshTokens, signInEvents } from "../db/schema/index.ts";
import type { AppEnv, Services } from "../hono-env.ts";
import { isUuid } from "../lib/ids.ts";
import { listApiKeys, MAX_KEYS_PER_USER } from "./api-keys.ts";
import { lockWriter } from "./writer-locks.ts";

export const SIGN_IN_HISTORY_DAYS = 90;
/** How many recent sign-ins the security view shows. */
export const SIGN_IN_HISTORY_SHOWN = 20;
const USER_AGENT_MAX = 200;
/** More sessions than anyone has; a bound, not a page. */
const SESSIONS_SHOWN = 100;

export interface RequestPlace {
  country: string | null;
  city: string | null;
  userAgent: string | null;
}

function cleanText(value: unknown, max: number): string | null {
  if (typeof value !== "string") return null;
  // Control characters would only make the view unreadable; nothing needs them.
  const text = [...value]
    .filter((char) => char >= " " && char !== "\u007f")
    .join("")
    .trim();
  return text ? text.slice(0, max) : null;
}

/**
 * Where a request came from as Cloudflare's edge metadata (`request.cf`) tells it, country and city
 * only, and its client: the address itself is never kept.
 */
export function requestPlace(c: Context<AppEnv>): RequestPlace {
  const cf = (c.req.raw as Request & { cf?: Record<string, unknown> }).cf;
  return {
    country: cleanText(cf?.country, 64),
    city: cleanText(cf?.city, 128),
    userAgent: cleanText(c.req.header("User-Agent"), USER_AGENT_MAX),
  };
}

/**
 * Records one sign-in of an existing account and drops the account's records past the history's age.
 * Meant to run after the response, so recording a failure costs the answer no time: a known address
 * and an unknown one look the same.
 */
export async function recordSignIn(
  services: Pick<Services, "db">,
  userId: string,
  place: RequestPlace,
  outcome: { succeeded: boolean; familyId?: string },
): Promise<void> {
  await services.db.insert(signInEvents).values({
    id: uuidv7(),
    userId,
    familyId: outcome.familyId ?? null,
    succeeded: outcome.succeeded,
    ...place,
  });
  await services.db
    .delete(signInEvents)
    .where(
      and(
        eq(signInEvents.userId, userId),
        lt(signInEvents.createdAt, sql`now() - make_interval(days => ${SIGN_IN_HISTORY_DAYS})`),
      ),
    );
}

/** Recent sign-ins, the sessions still signed in (refresh-token families with a live token) and API keys. */
export async function accountSecurity(services: Services, userId: string): Promise<AccountSecurity> {
  const { db } = services;
  const [signIns, families, keys] = await Promise.all([
    db
      .select()
      .from(signInEvents)
      .where(eq(signInEvents.userId, userId))
      .orderBy(desc(signInEvents.createdAt), desc(signInEvents.id))
      .limit(SIGN_IN_HISTORY_SHOWN),
    db
      .select({
        familyId: refreshTokens.familyId,
        createdAt: sql`min(${refreshTokens.createdAt})`.mapWith(refreshTokens.createdAt),
        lastActiveAt: sql`max(${refreshTokens.createdAt})`.mapWith(refreshTokens.createdAt),
        expiresAt: sql`max(${refreshTokens.expiresAt})`.mapWith(refreshTokens.expiresAt),
      })
      .from(refreshTokens)
      .where(eq(refreshTokens.userId, userId))
      .groupBy(refreshTokens.familyId)
      .having(
        sql`bool_or(${refreshTokens.usedAt} is null and ${refreshTokens.revokedAt} is null and ${refreshTokens.expiresAt} > now())`,
      )
      .orderBy(desc(sql`max(${refreshTokens.createdAt})`))
      .limit(SESSIONS_SHOWN),
    listApiKeys(services, userId, { limit: MAX_KEYS_PER_USER }),
  ]);
  const started =
    families.length === 0
      ? []
      : await db
          .select()
          .from(signInEvents)
          .where(
            and(
              eq(signInEvents.userId, userId),
              inArray(
                signInEvents.familyId,
                families.map((f) => f.familyId),
              ),
            ),
          );
  const placeOf = new Map(started.map((event) => [event.familyId, event]));
  return {
    signIns: signIns.map((event) => ({
      at: event.createdAt.toISOString(),
      succeeded: event.succeeded,
      country: event.country,
      city: event.city,
      userAgent: event.userAgent,
    })),
    sessions: families.map((family) => {
      const place = placeOf.get(family.familyId);
      return {
        id: family.familyId,
        createdAt: family.createdAt.toISOString(),
        lastActiveAt: family.lastActiveAt.toISOString(),
        expiresAt: family.expiresAt.toISOString(),
        country: place?.country ?? null,
        city: place?.city ?? null,
        userAgent: place?.userAgent ?? null,
      };
    }),
    apiKeys: keys.items,
  };
}

/**
 * Signs one session out: every token of the family is revoked, under the user's row lock like every
 * other revocation (sessions.ts). Another user's session, or one already ended, is 404.
 */
export async function endSession(services: Services, userId: string, familyId: string): Promise<void> {
  if (!isUuid(familyId)) throw new InkwellError("NOT_FOUND", "No such session.");
  const now = new Date();
  const ended = await services.db.transaction(async (tx) => {
    await lockWriter(tx, userId, "no key update");
    const revoked = await tx
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(
        and(
          eq(refreshTokens.userId, userId),
          eq(refreshTokens.familyId, familyId),
          isNull(refreshTokens.revokedAt),
          isNull(refreshTokens.usedAt),
          gt(refreshTokens.expiresAt, now),
        ),
      )
      .returning({ id: refreshTokens.id });
    if (revoked.length === 0) return false;
    // The rest of the family (its spent tokens) as well, as a sign-out on that device would.
    await tx
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(
        and(
          eq(refreshTokens.userId, userId),
          eq(refreshTokens.familyId, familyId),
          isNull(refreshTokens.revokedAt),
        ),
      );
    return true;
  });
  if (!ended) throw new InkwellError("NOT_FOUND", "No such session.");
}
