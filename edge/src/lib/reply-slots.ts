import { InkwellError } from "@inkwell/shared";
import type { Services } from "../hono-env.ts";
import { withTimeout } from "./timeout.ts";
import { userKeys } from "./user-keys.ts";

/** Chat replies one user may have generating at once (streamed or not) on the shared model pool. */
export const MAX_REPLIES_PER_USER = 3;
/** A slot older than this is presumed abandoned (an isolate that died mid-stream) and no longer counts. */
export const REPLY_SLOT_TTL_MS = 5 * 60_000;

export const replySlotsKey = (userId: string) => userKeys.replySlots(userId);

/**
 * Takes one of the user's reply slots, or answers 429 when all are held; resolves to the release. Each
 * reply holds a member of a per-user sorted set, scored by its start, until its stream ends; members
 * older than the TTL are pruned, so a slot whose release never ran frees itself. Taken only once the
 * session is known to be the caller's, so requests that end in 404 never count. Redis being down fails
 * open, like the other limits.
 */
export async function holdReplySlot(
  services: Pick<Services, "redis">,
  userId: string,
  slot: string,
): Promise<() => void> {
  const { redis } = services;
  const key = replySlotsKey(userId);
  const now = Date.now();
  let open: number;
  try {
    [, , open] = await withTimeout(
      redis
        .multi()
        .zremrangebyscore(key, 0, now - REPLY_SLOT_TTL_MS)
        .zadd(key, { score: now, member: slot })
        .zcard(key)
        .pexpire(key, REPLY_SLOT_TTL_MS)
        .exec<[number, number, number, number]>(),
      1_000,
      "Redis",
    );
  } catch {
    // Redis unavailable: no cap rather than no chat.
    return () => {};
  }
  let held = true;
  const release = () => {
    if (held) void redis.zrem(key, slot).catch(() => undefined);
    held = false;
  };
  if (open > MAX_REPLIES_PER_USER) {
    release();
    throw new InkwellError(
      "RATE_LIMITED",
      `At most ${MAX_REPLIES_PER_USER} replies can be written for you at once; wait for one to finish.`,
      { headers: { "Retry-After": "5" } },
    );
  }
  return release;
}
