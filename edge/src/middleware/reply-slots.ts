import { InkwellError } from "@inkwell/shared";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../hono-env.ts";
import { withTimeout } from "../lib/timeout.ts";

/** Chat replies one user may have generating at once (streamed or not) on the shared model pool. */
export const MAX_REPLIES_PER_USER = 3;
/** A slot older than this is presumed abandoned (an isolate that died mid-stream) and no longer counts. */
export const REPLY_SLOT_TTL_MS = 5 * 60_000;

export const replySlotsKey = (userId: string) => `inkwell:replies:${userId}`;

/**
 * Caps a user's concurrent chat replies. Each reply holds a member of a per-user sorted set, scored by
 * its start, from the request until its stream ends; members older than the TTL are pruned, so a slot
 * whose release never ran frees itself. Redis being down fails open, like the other limits.
 */
export const limitConcurrentReplies = createMiddleware<AppEnv>(async (c, next) => {
  const { redis } = c.get("services");
  const key = replySlotsKey(c.get("auth").userId);
  const slot = c.get("requestId");
  const now = Date.now();
  let held = false;
  try {
    const [, , open] = await withTimeout(
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
    held = true;
    if (open > MAX_REPLIES_PER_USER) {
      await redis.zrem(key, slot).catch(() => undefined);
      held = false;
      throw new InkwellError(
        "RATE_LIMITED",
        `At most ${MAX_REPLIES_PER_USER} replies can be written for you at once; wait for one to finish.`,
        { headers: { "Retry-After": "5" } },
      );
    }
  } catch (err) {
    if (err instanceof InkwellError) throw err;
    // Redis unavailable: no cap rather than no chat.
  }
  const release = () => {
    if (held) void redis.zrem(key, slot).catch(() => undefined);
    held = false;
  };
  try {
    await next();
  } catch (err) {
    release();
    throw err;
  }
  const body = c.res.body;
  if (!held || !body || !(c.res.headers.get("Content-Type") ?? "").includes("text/event-stream")) {
    release();
    return;
  }
  // A stream holds its slot until it ends or the client goes away.
  const reader = body.getReader();
  const relayed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        release();
        controller.close();
        return;
      }
      controller.enqueue(value);
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason);
    },
  });
  c.res = new Response(relayed, c.res);
});
