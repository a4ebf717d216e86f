import { InkwellError } from "@inkwell/shared";
import { Ratelimit } from "@upstash/ratelimit";
import type { Context } from "hono";
import type { AppEnv, Services } from "../hono-env.ts";
import { log } from "./log.ts";
import { withTimeout } from "./timeout.ts";
import { userKeys } from "./user-keys.ts";

type Window = `${number} ${"s" | "m" | "h"}`;

export interface RateLimitPolicy {
  name: string;
  limit: number;
  window: Window;
  /**
   * What to do when Redis cannot answer. Sign-in and sign-up fail CLOSED: without a limiter they are
   * an unmetered password-guessing and account-creation oracle, and refusing them for a while is a
   * smaller harm. Everything else fails OPEN: a cache outage must not take a journal away from its
   * owner, and those routes already require a verified identity.
   */
  whenUnavailable: "open" | "closed";
}

export function policies(config: Services["config"]) {
  return {
    login: { name: "login", limit: 20, window: "10 m", whenUnavailable: "closed" },
    register: { name: "register", limit: 10, window: "1 h", whenUnavailable: "closed" },
    /** Forgotten-password requests and reset attempts per address: each may send mail or test a token. */
    passwordReset: { name: "pwreset", limit: 10, window: "1 h", whenUnavailable: "closed" },
    /** Reset mails per address asked for, whoever asks: nobody can flood someone's inbox. */
    passwordResetMail: { name: "pwresetmail", limit: 3, window: "1 h", whenUnavailable: "closed" },
    anonymous: {
      name: "anon",
      limit: config.RATE_LIMIT_IP_PER_MINUTE,
      window: "1 m",
      whenUnavailable: "open",
    },
    principal: {
      name: "principal",
      limit: config.RATE_LIMIT_USER_PER_MINUTE,
      window: "1 m",
      whenUnavailable: "open",
    },
    /**
     * Credentials from one address that were looked up and not found (API keys, revoked sessions, node
     * tokens). Once spent, that address's unknown credentials are refused before any lookup. Open when
     * Redis is down: the lookups then cost Postgres, as they did before the limit existed.
     */
    authFailures: {
      name: "authfail",
      limit: config.RATE_LIMIT_AUTH_FAILURES_PER_10_MINUTES,
      window: "10 m",
      whenUnavailable: "open",
    },
  } as const satisfies Record<string, RateLimitPolicy>;
}
export type PolicyName = keyof ReturnType<typeof policies>;

/** A user's own budget, kept under the user's Redis prefix so that it goes with the account. */
export function principalLimit(config: Services["config"], userId: string) {
  const policy: RateLimitPolicy = policies(config).principal;
  return { policy, keyPrefix: `${userKeys.rateLimit(userId)}:${policy.name}`, identifier: "user" };
}

/** Where a policy's windows live unless the caller names a prefix (per-user limits live with the user). */
export function rateLimitPrefix(policy: RateLimitPolicy): string {
  return `inkwell:rl:${policy.name}`;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

function windowMs(window: Window): number {
  const [amount = "0", unit = "s"] = window.split(" ");
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

/**
 * The Redis keys a sliding-window limit for `identifier` can hold at `now`: the limiter counts in
 * `<prefix>:<identifier>:<window number>` for the current and the previous window and lets older ones
 * expire; the next window is included for clocks a little ahead of this one.
 */
export function rateLimitWindowKeys(
  policy: RateLimitPolicy,
  keyPrefix: string,
  identifier: string,
  now = Date.now(),
): string[] {
  const current = Math.floor(now / windowMs(policy.window));
  return [current - 1, current, current + 1].map((n) => `${keyPrefix}:${identifier}:${n}`);
}

function newLimiter(c: Context<AppEnv>, policy: RateLimitPolicy, keyPrefix: string): Ratelimit {
  return new Ratelimit({
    redis: c.get("services").redis,
    limiter: Ratelimit.slidingWindow(policy.limit, policy.window),
    prefix: keyPrefix,
    // The library's in-memory block list only works as a module global, which a Worker must not keep.
    ephemeralCache: false,
    analytics: false,
    enableTelemetry: false,
    // A limiter that cannot answer this fast is treated as unavailable.
    timeout: c.get("services").config.RATE_LIMIT_TIMEOUT_MS,
  });
}

function tooMany(resetAt: number, limit: number): InkwellError {
  const resetSeconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
  return new InkwellError("RATE_LIMITED", `Too many requests; try again in ${resetSeconds} seconds.`, {
    headers: {
      "RateLimit-Limit": String(limit),
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": String(resetSeconds),
      "Retry-After": String(resetSeconds),
    },
  });
}

/**
 * 429 when `identifier` has spent its budget under `policy`, without counting this request; nothing
 * when it has not or when the limiter cannot answer (only fail-open policies are peeked at).
 */
export async function refuseWhenSpent(
  c: Context<AppEnv>,
  policy: RateLimitPolicy,
  identifier: string,
): Promise<void> {
  let left: { remaining: number; reset: number; limit: number };
  try {
    left = await withTimeout(
      newLimiter(c, policy, rateLimitPrefix(policy)).getRemaining(identifier),
      c.get("services").config.RATE_LIMIT_TIMEOUT_MS,
      "Redis",
    );
  } catch {
    log.warn("rate limiter unavailable", { policy: policy.name });
    return;
  }
  if (left.remaining <= 0) throw tooMany(left.reset, left.limit);
}

/**
 * Counts one request against `policy` for `identifier` (sliding window in Redis) and returns the
 * RateLimit headers for the response. Throws 429 when the budget is spent and 503 when a fail-closed
 * limiter cannot be reached; returns no headers when a fail-open limiter cannot.
 */
export async function enforceRateLimit(
  c: Context<AppEnv>,
  policy: RateLimitPolicy,
  identifier: string,
  keyPrefix = rateLimitPrefix(policy),
): Promise<Record<string, string> | undefined> {
  const limiter = newLimiter(c, policy, keyPrefix);
  let result: Awaited<ReturnType<Ratelimit["limit"]>> | undefined;
  try {
    result = await limiter.limit(identifier);
    // On timeout the library answers "allowed"; that is only acceptable for fail-open policies.
    if (result.reason === "timeout") result = undefined;
  } catch {
    result = undefined;
  }
  if (!result) {
    log.warn("rate limiter unavailable", { policy: policy.name });
    if (policy.whenUnavailable === "closed") {
      throw new InkwellError(
        "SERVICE_UNAVAILABLE",
        "Sign-in and sign-up are paused because the rate limiter cannot be reached; try again shortly.",
        { headers: { "Retry-After": "30" } },
      );
    }
    return undefined;
  }
  const resetSeconds = Math.max(1, Math.ceil((result.reset - Date.now()) / 1000));
  const headers = {
    "RateLimit-Limit": String(result.limit),
    "RateLimit-Remaining": String(Math.max(0, result.remaining)),
    "RateLimit-Reset": String(resetSeconds),
  };
  if (!result.success) throw tooMany(result.reset, result.limit);
  return headers;
}
