import { InkwellError, sha256Hex } from "@inkwell/shared";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { AppEnv } from "../hono-env.ts";
import { withTimeout } from "../lib/timeout.ts";
import { setUserKey, userKey } from "../lib/user-keys.ts";

const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,255}$/;
const PENDING_TTL_SECONDS = 60;
const STORED_TTL_SECONDS = 24 * 60 * 60;
const TIMEOUT_MS = 1_000;

const recordSchema = z.union([
  z.object({ state: z.literal("pending"), fingerprint: z.string() }),
  z.object({
    state: z.literal("done"),
    fingerprint: z.string(),
    status: z.number().int(),
    body: z.string(),
    contentType: z.string().nullable(),
  }),
]);

/**
 * `Idempotency-Key` on POST (Stripe's semantics): the first response to a key is stored for a day and
 * replayed for a repeat with the same body; the same key with another body is a 409, and so is a
 * repeat while the first is still running. Keys are per user. When Redis is unreachable the request
 * runs without the guarantee rather than failing.
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined || c.req.method !== "POST") return next();
  if (!KEY_PATTERN.test(key)) {
    throw new InkwellError("VALIDATION_FAILED", "Idempotency-Key must be 1-255 letters, digits or . _ : -", {
      errors: [{ path: "Idempotency-Key", message: "invalid" }],
    });
  }
  const { redis } = c.get("services");
  const userId = c.get("auth").userId;
  const body = await c.req.text();
  const fingerprint = await sha256Hex(`${c.req.method} ${c.req.path}\n${body}`);
  // Under the user's prefix and in their index: stored answers can hold journal text.
  const redisKey = userKey(userId, "idem", await sha256Hex(key));

  let claimed: boolean;
  try {
    claimed = await setUserKey(redis, userId, redisKey, JSON.stringify({ state: "pending", fingerprint }), {
      nx: true,
      ttlSeconds: PENDING_TTL_SECONDS,
      timeoutMs: TIMEOUT_MS,
    });
    if (!claimed) {
      const parsed = recordSchema.safeParse(
        await withTimeout(redis.get<unknown>(redisKey), TIMEOUT_MS, "Redis"),
      );
      if (parsed.success) {
        const record = parsed.data;
        if (record.fingerprint !== fingerprint) {
          throw new InkwellError(
            "CONFLICT",
            "This Idempotency-Key was already used with a different request body.",
          );
        }
        if (record.state === "pending") {
          throw new InkwellError(
            "CONFLICT",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            {
              headers: { "Retry-After": "1" },
            },
          );
        }
        const headers = new Headers({ "Idempotent-Replayed": "true" });
        if (record.contentType) headers.set("Content-Type", record.contentType);
        return c.newResponse(record.body, record.status as 200, Object.fromEntries(headers));
      }
      claimed = true;
    }
  } catch (err) {
    if (err instanceof InkwellError) throw err;
    console.warn(
      JSON.stringify({ level: "warn", msg: "idempotency store unavailable", requestId: c.get("requestId") }),
    );
    return next();
  }

  await next();
  try {
    if (c.res.status >= 500 || c.error) {
      // Let a retry run the request again.
      await withTimeout(redis.del(redisKey), TIMEOUT_MS, "Redis");
      return;
    }
    const stored = {
      state: "done" as const,
      fingerprint,
      status: c.res.status,
      body: await c.res.clone().text(),
      contentType: c.res.headers.get("Content-Type"),
    };
    await setUserKey(redis, userId, redisKey, JSON.stringify(stored), {
      ttlSeconds: STORED_TTL_SECONDS,
      timeoutMs: TIMEOUT_MS,
    });
  } catch {
    console.warn(
      JSON.stringify({ level: "warn", msg: "idempotency store unavailable", requestId: c.get("requestId") }),
    );
  }
});
