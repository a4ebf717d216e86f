import { InkwellError } from "@inkwell/shared";
import { Receiver } from "@upstash/qstash";
import type { Redis } from "@upstash/redis/cloudflare";
import { createMiddleware } from "hono/factory";
import { decodeJwt } from "jose";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../lib/log.ts";
import { withTimeout } from "../lib/timeout.ts";

/** Seconds of clock skew allowed on a signature's `iat`/`exp`. */
const CLOCK_TOLERANCE_SECONDS = 10;
/** QStash signs each delivery for five minutes; a signature without `exp` is remembered this long. */
const DEFAULT_SIGNATURE_TTL_SECONDS = 5 * 60;
/** As long as the rate limiter waits: a claim that times out lets a replay through. */
const REDIS_TIMEOUT_MS = 3_000;

function seenKey(signature: string): { key: string; ttlSeconds: number } {
  const claims = decodeJwt(signature);
  const now = Math.floor(Date.now() / 1000);
  const ttlSeconds = Math.max(
    1,
    (claims.exp ?? now + DEFAULT_SIGNATURE_TTL_SECONDS) - now + CLOCK_TOLERANCE_SECONDS,
  );
  // `jti` is covered by the signature just verified; QStash sets one on every delivery.
  return { key: `inkwell:qstash-seen:${claims.jti ?? signature}`, ttlSeconds };
}

/**
 * Claims a verified signature for this one delivery. QStash signs every attempt afresh, so the same
 * signature twice is a captured request played back. When Redis cannot answer the call goes on: the
 * result handlers are idempotent per job and message, so the claim is a second line, not the only one.
 */
async function claimSignature(
  redis: Redis,
  seen: { key: string; ttlSeconds: number },
  requestId: string,
): Promise<boolean> {
  try {
    const set = await withTimeout(
      redis.set(seen.key, "1", { nx: true, ex: seen.ttlSeconds }),
      REDIS_TIMEOUT_MS,
      "Redis",
    );
    return set !== null;
  } catch {
    log.warn("QStash replay check skipped: Redis did not answer", { requestId });
    return true;
  }
}

async function releaseSignature(redis: Redis, seen: { key: string }): Promise<void> {
  try {
    await withTimeout(redis.del(seen.key), REDIS_TIMEOUT_MS, "Redis");
  } catch {
    // The claim expires with the signature; QStash's next attempt carries a new one anyway.
  }
}

/**
 * Only QStash may call the callback routes: the `Upstash-Signature` JWT must be signed with the current
 * or next signing key, name this exact URL, carry the SHA-256 of the raw body, and not have been used
 * before. The body is read as text and verified before anything parses it; routes take it from
 * `qstashBody`.
 */
export const verifyQStashSignature = createMiddleware<AppEnv>(async (c, next) => {
  const signature = c.req.header("Upstash-Signature");
  if (!signature) throw new InkwellError("UNAUTHENTICATED", "The Upstash-Signature header is missing.");
  const { config, redis } = c.get("services");
  const body = await c.req.text();
  // The URL QStash was given (EDGE_PUBLIC_URL), not the one this request arrived on behind a proxy.
  const base = (config.EDGE_PUBLIC_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "");
  const receiver = new Receiver({
    currentSigningKey: config.QSTASH_CURRENT_SIGNING_KEY,
    nextSigningKey: config.QSTASH_NEXT_SIGNING_KEY,
    // Never the public dev-server keys, whatever QSTASH_DEV says: with them anyone could sign a callback.
    devMode: false,
  });
  let valid = false;
  try {
    valid = await receiver.verify({
      signature,
      body,
      url: `${base}${c.req.path}`,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
  } catch {
    // Wrong key, URL or body hash: one answer for all, so a caller cannot probe which check failed.
  }
  if (!valid) {
    log.warn("rejected a QStash callback", { requestId: c.get("requestId") });
    throw new InkwellError("UNAUTHENTICATED", "The Upstash-Signature header is not valid for this request.");
  }
  const seen = seenKey(signature);
  if (!(await claimSignature(redis, seen, c.get("requestId")))) {
    log.warn("rejected a replayed QStash callback", { requestId: c.get("requestId") });
    throw new InkwellError("UNAUTHENTICATED", "The Upstash-Signature header is not valid for this request.");
  }
  c.set("qstashBody", body);
  // A delivery that was not handled may come again with the same signature; let it in then.
  try {
    await next();
  } catch (err) {
    await releaseSignature(redis, seen);
    throw err;
  }
  if (!c.res.ok) await releaseSignature(redis, seen);
});
