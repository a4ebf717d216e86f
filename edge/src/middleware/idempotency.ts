import { InkwellError, sha256Hex, toHex } from "@inkwell/shared";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { decryptField, encryptField } from "../crypto/field-cipher.ts";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../lib/log.ts";
import { withTimeout } from "../lib/timeout.ts";
import { setUserKey, userKey } from "../lib/user-keys.ts";

const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,255}$/;
const PENDING_TTL_SECONDS = 60;
/** A streamed reply holds its key this long at most (a reply slot's lifetime): a retry meanwhile is a 409. */
const STREAMING_TTL_SECONDS = 5 * 60;
const STORED_TTL_SECONDS = 24 * 60 * 60;
const TIMEOUT_MS = 1_000;
/** Retry-After when the store cannot claim a key. */
const STORE_DOWN_RETRY_SECONDS = 5;
const encoder = new TextEncoder();

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

/** Where a user's record for one key on one route lives: keys are scoped per user and per route. */
export async function idempotencyRecordKey(
  userId: string,
  method: string,
  path: string,
  key: string,
): Promise<string> {
  return userKey(userId, "idem", await sha256Hex(`${method} ${path}\n${key}`));
}

/**
 * What a repeat must match to be the same request. Keyed (HMAC with the Worker's secret) because a body
 * can hold passwords (a password change): a plain hash in Redis could be guessed offline.
 */
export async function idempotencyFingerprint(
  secret: string,
  method: string,
  path: string,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return toHex(await crypto.subtle.sign("HMAC", key, encoder.encode(`${method} ${path}\n${body}`)));
}

/**
 * `Idempotency-Key` on every authenticated POST (Stripe's semantics; `protect()` installs it): the first
 * response to a key is stored for a day and replayed for a repeat with the same body; the same key with
 * another body is a 409, and so is a repeat while the first is still running. Keys are per user and per
 * route (method and path), so one key may be reused on another route. Thrown errors and 5xx answers are
 * not stored: a retry runs again. A streamed answer (SSE) holds the key while it streams and is stored as
 * the events sent, so a retry replays them instead of running the model again; a stream the client left
 * early is stored as far as it got. Answers that hand out credentials are never stored
 * (`CREDENTIAL_ISSUING_POSTS`). When Redis is unreachable a request carrying a key is refused with 503
 * and Retry-After rather than run without the guarantee (a careful client's retry would otherwise make
 * a duplicate); one without a key runs as usual.
 */
/**
 * POSTs whose answer hands out a credential (an API key, fresh tokens, a join secret, a node token). Their
 * answers are never stored, so a third party holding Redis never holds a working credential: the key is
 * ignored there and a retry runs again (revoke what a retry made twice).
 */
export const CREDENTIAL_ISSUING_POSTS: ReadonlySet<string> = new Set([
  "/v1/api-keys",
  "/v1/me/password",
  "/v1/auth/logout-all",
  "/v1/admin/join-secrets",
  "/v1/admin/nodes",
]);

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined || c.req.method !== "POST") return next();
  if (CREDENTIAL_ISSUING_POSTS.has(c.req.path)) return next();
  if (!KEY_PATTERN.test(key)) {
    throw new InkwellError("VALIDATION_FAILED", "Idempotency-Key must be 1-255 letters, digits or . _ : -", {
      errors: [{ path: "Idempotency-Key", message: "invalid" }],
    });
  }
  const { redis, config, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const body = await c.req.text();
  const fingerprint = await idempotencyFingerprint(config.JWT_SECRET, c.req.method, c.req.path, body);
  // Under the user's prefix and in their index: stored answers can hold journal text.
  const redisKey = await idempotencyRecordKey(userId, c.req.method, c.req.path, key);
  // A stored answer can hold journal text: it is sealed with the user's key, bound to this record.
  const bodyField = { userId, table: "redis:idempotency", rowId: redisKey, column: "body" };
  const warn = () => log.warn("idempotency store unavailable", { requestId: c.get("requestId") });

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
        const body = await decryptField(dataKeys, bodyField, record.body);
        return c.newResponse(body, record.status as 200, Object.fromEntries(headers));
      }
      claimed = true;
    }
  } catch (err) {
    if (err instanceof InkwellError) throw err;
    warn();
    // The client asked for at-most-once: running the write unguarded could make a retry a duplicate.
    throw new InkwellError(
      "SERVICE_UNAVAILABLE",
      "The idempotency store is unreachable, so this request cannot be guarded against running twice; retry shortly (or send it without Idempotency-Key).",
      { headers: { "Retry-After": String(STORE_DOWN_RETRY_SECONDS) } },
    );
  }

  const store = async (status: number, text: string, contentType: string | null) => {
    const body = await encryptField(dataKeys, bodyField, text);
    const stored = { state: "done" as const, fingerprint, status, body, contentType };
    await setUserKey(redis, userId, redisKey, JSON.stringify(stored), {
      ttlSeconds: STORED_TTL_SECONDS,
      timeoutMs: TIMEOUT_MS,
    });
  };

  await next();
  try {
    if (c.res.status >= 500 || c.error) {
      // Let a retry run the request again.
      await withTimeout(redis.del(redisKey), TIMEOUT_MS, "Redis");
      return;
    }
    const contentType = c.res.headers.get("Content-Type");
    if (contentType?.startsWith("text/event-stream") && c.res.body) {
      // Reading the body here would hold the whole stream back; it is recorded as it passes instead.
      await setUserKey(redis, userId, redisKey, JSON.stringify({ state: "pending", fingerprint }), {
        ttlSeconds: STREAMING_TTL_SECONDS,
        timeoutMs: TIMEOUT_MS,
      });
      const { status } = c.res;
      c.res = new Response(
        recordStream(c.res.body, (text) => store(status, text, contentType).catch(warn)),
        c.res,
      );
      return;
    }
    await store(c.res.status, await c.res.clone().text(), contentType);
  } catch {
    warn();
  }
});

/**
 * Passes a response body through and hands its text to `settle` once, when it ends or when the client
 * cancels it (with what was sent so far); the cancel reaches the source, so the route sees the client go.
 */
function recordStream(
  source: ReadableStream<Uint8Array>,
  settle: (text: string) => Promise<void>,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let settled = false;
  const finish = async () => {
    if (settled) return;
    settled = true;
    await settle(text + decoder.decode());
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        await finish();
        controller.error(err);
        return;
      }
      if (chunk.done) {
        // Stored before the client sees the end, so a retry after a finished stream always replays it.
        await finish();
        controller.close();
        return;
      }
      text += decoder.decode(chunk.value, { stream: true });
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => undefined);
      await finish();
    },
  });
}
