import { z } from "zod";
import { parseRootKeys } from "./crypto/root-keys.ts";

/** Bindings and vars as wrangler hands them to the Worker (secrets come from wrangler secrets / .dev.vars). */
export interface Env {
  /** The Hyperdrive binding; only its connection string is used (typed structurally so Node tooling can share this file). */
  HYPERDRIVE: { readonly connectionString: string };
  ENVIRONMENT?: string;
  JWT_SECRET?: string;
  JWT_PREVIOUS_SECRET?: string;
  PASSWORD_PEPPER?: string;
  PASSWORD_PEPPER_VERSION?: string;
  PASSWORD_PREVIOUS_PEPPER?: string;
  DATA_ROOT_KEYS?: string;
  DATA_ROOT_KEY_VERSION?: string;
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  QSTASH_URL?: string;
  QSTASH_TOKEN?: string;
  QSTASH_CURRENT_SIGNING_KEY?: string;
  QSTASH_NEXT_SIGNING_KEY?: string;
  EDGE_PUBLIC_URL?: string;
  NODE_TOKEN_SECRET?: string;
  NODE_HEARTBEAT_TTL_SECONDS?: string;
  CORS_ORIGINS?: string;
  RATE_LIMIT_USER_PER_MINUTE?: string;
  RATE_LIMIT_IP_PER_MINUTE?: string;
  RATE_LIMIT_TIMEOUT_MS?: string;
  RATE_LIMIT_AUTH_FAILURES_PER_10_MINUTES?: string;
  READINESS_CACHE_SECONDS?: string;
  DB_CONNECT_TIMEOUT_SECONDS?: string;
  VIEW_CACHE?: string;
  RETENTION_DAYS?: string;
  TOPIC_DISCOVERY_MIN_NEW_ENTRIES?: string;
  TOPIC_DISCOVERY_MIN_ENTRIES?: string;
  MAIL_API_URL?: string;
  MAIL_API_KEY?: string;
  MAIL_FROM?: string;
  PASSWORD_RESET_URL?: string;
}

const WEAK_VALUES = new Set([
  "changeme",
  "change-me",
  "secret",
  "password",
  "dev",
  "test",
  "example",
  "default",
]);

/** A secret is weak when it is short, a known placeholder, or made of very few distinct characters. */
export function secretProblem(value: string, minLength: number): string | undefined {
  if (value.length < minLength) return `must be at least ${minLength} characters`;
  const lower = value.toLowerCase();
  if ([...WEAK_VALUES].some((weak) => lower.includes(weak) && lower.length < weak.length + 8)) {
    return "looks like a placeholder";
  }
  if (new Set(value).size < 8) return "has too few distinct characters";
  return undefined;
}

const secret = (minLength: number) =>
  z.string({ error: "is missing" }).superRefine((value, ctx) => {
    const problem = secretProblem(value, minLength);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** `DATA_ROOT_KEYS` as raw keys by version; a malformed, short or non-random key is refused by version, never shown. */
const rootKeys = z.string({ error: "is missing" }).transform((value, ctx) => {
  const parsed = parseRootKeys(value);
  if ("problem" in parsed) {
    ctx.addIssue({ code: "custom", message: parsed.problem });
    return z.NEVER;
  }
  return parsed.keys;
});

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** An optional var that `wrangler.toml` lists empty until the operator fills it in: empty is unset. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i;

/**
 * `CORS_ORIGINS` as a list of exact origins. Unset or empty allows none: a browser app on another
 * origin must be named by the operator. A wildcard is refused since the API carries private journals.
 */
export function parseCorsOrigins(value: string | undefined): { origins: string[]; invalid: string[] } {
  const items = (value ?? "")
    .split(",")
    .map((item) => item.trim().replace(/\/$/, ""))
    .filter(Boolean);
  return {
    origins: items.filter((item) => ORIGIN.test(item)).map((item) => item.toLowerCase()),
    invalid: items.filter((item) => !ORIGIN.test(item)),
  };
}

const corsOrigins = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const { origins, invalid } = parseCorsOrigins(value);
    if (invalid.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `must be comma-separated origins like https://app.example.com`,
      });
    }
    return origins;
  });

export const envSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
  JWT_SECRET: secret(32),
  JWT_PREVIOUS_SECRET: secret(32).optional(),
  /** Keyed into every password hash (HMAC before PBKDF2); kept out of Postgres, so a copied table is not enough. */
  PASSWORD_PEPPER: secret(32),
  /** Stored with each hash; raise it by one when PASSWORD_PEPPER changes. */
  PASSWORD_PEPPER_VERSION: z.coerce.number().int().min(1).max(1_000_000).default(1),
  /** While rotating: the pepper of version PASSWORD_PEPPER_VERSION - 1, so its hashes still verify. */
  PASSWORD_PREVIOUS_PEPPER: secret(32).optional(),
  /**
   * Wraps every user's data key (docs/design/encryption.md): `v1:<base64 of 32 random bytes>`, more
   * versions comma-separated while rotating. Never stored in Postgres.
   */
  DATA_ROOT_KEYS: rootKeys,
  /** The version of DATA_ROOT_KEYS new user keys are wrapped under; unset: the highest listed. */
  DATA_ROOT_KEY_VERSION: unsetWhenEmpty(z.coerce.number().int().min(1).max(999_999)),
  UPSTASH_REDIS_REST_URL: httpUrl,
  UPSTASH_REDIS_REST_TOKEN: secret(24),
  QSTASH_URL: httpUrl.default("https://qstash.upstash.io"),
  QSTASH_TOKEN: secret(24),
  QSTASH_CURRENT_SIGNING_KEY: secret(24),
  QSTASH_NEXT_SIGNING_KEY: secret(24),
  EDGE_PUBLIC_URL: httpUrl.optional(),
  /** Derives every node's token (and so the key the edge signs its requests to that node with). */
  NODE_TOKEN_SECRET: secret(32),
  NODE_HEARTBEAT_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(30),
  /** Days a deleted entry is kept before it is removed for good. */
  RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** Per-user view cache of entries and topics in Redis; `off` only to measure what it saves. */
  VIEW_CACHE: z
    .enum(["on", "off"], { error: "must be on or off" })
    .default("on")
    .transform((v) => v === "on"),
  CORS_ORIGINS: corsOrigins,
  /** Requests per minute for one signed-in user or one API key. */
  RATE_LIMIT_USER_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(600),
  /** Requests per minute from one address to anonymous routes (sign-in has its own, stricter limits). */
  RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
  /**
   * Credentials from one address that may be looked up and not found in ten minutes (unknown API keys,
   * signed-out sessions, unknown node tokens); after that the address gets 429 before any lookup.
   */
  RATE_LIMIT_AUTH_FAILURES_PER_10_MINUTES: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Seconds one readiness answer is reused (0: every probe checks every dependency). */
  READINESS_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  /**
   * How long the rate limiter may take before it counts as unavailable (sign-in and sign-up then fail
   * closed, everything else open).
   */
  RATE_LIMIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  /** How long opening a Postgres connection (through Hyperdrive) may take before the request fails. */
  DB_CONNECT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(60).default(5),
  /** Analysed entries written since a writer's last topic discovery that start the next one. */
  TOPIC_DISCOVERY_MIN_NEW_ENTRIES: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Analysed entries a writer needs before topics are discovered at all (fewer make no clusters). */
  TOPIC_DISCOVERY_MIN_ENTRIES: z.coerce.number().int().min(1).max(100_000).default(10),
  /**
   * A mail provider's HTTP API (a JSON POST of `{from, to, subject, text}` with the key as a bearer
   * token). Without it no mail is sent: password resets are issued by administrators only.
   */
  MAIL_API_URL: unsetWhenEmpty(httpUrl),
  MAIL_API_KEY: secret(16).optional(),
  /** The sender of the mail Inkwell sends. */
  MAIL_FROM: unsetWhenEmpty(z.email({ error: "must be an email address" })),
  /** The page of the operator's app that takes a reset token; the token is appended as `?token=`. */
  PASSWORD_RESET_URL: unsetWhenEmpty(httpUrl),
});
export type AppConfig = z.infer<typeof envSchema>;

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; problems: string[] };

/** Names of the bad settings only: values never leave this function. */
export function parseEnv(env: Env): ConfigResult {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) {
    if (
      parsed.data.JWT_PREVIOUS_SECRET !== undefined &&
      parsed.data.JWT_PREVIOUS_SECRET === parsed.data.JWT_SECRET
    ) {
      return { ok: false, problems: ["JWT_PREVIOUS_SECRET: must differ from JWT_SECRET"] };
    }
    if (parsed.data.PASSWORD_PREVIOUS_PEPPER !== undefined) {
      if (parsed.data.PASSWORD_PREVIOUS_PEPPER === parsed.data.PASSWORD_PEPPER) {
        return { ok: false, problems: ["PASSWORD_PREVIOUS_PEPPER: must differ from PASSWORD_PEPPER"] };
      }
      if (parsed.data.PASSWORD_PEPPER_VERSION < 2) {
        return {
          ok: false,
          problems: [
            "PASSWORD_PEPPER_VERSION: must be raised (to 2 or more) when PASSWORD_PREVIOUS_PEPPER is set",
          ],
        };
      }
    }
    const rootVersion = parsed.data.DATA_ROOT_KEY_VERSION;
    if (rootVersion !== undefined && !parsed.data.DATA_ROOT_KEYS.has(rootVersion)) {
      return { ok: false, problems: ["DATA_ROOT_KEY_VERSION: names no key listed in DATA_ROOT_KEYS"] };
    }
    if (
      parsed.data.MAIL_API_URL !== undefined &&
      (parsed.data.MAIL_API_KEY === undefined || parsed.data.MAIL_FROM === undefined)
    ) {
      return { ok: false, problems: ["MAIL_API_URL: needs MAIL_API_KEY and MAIL_FROM as well"] };
    }
    if (!env.HYPERDRIVE?.connectionString) {
      return { ok: false, problems: ["HYPERDRIVE: binding is missing"] };
    }
    return { ok: true, config: parsed.data };
  }
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  if (!env.HYPERDRIVE?.connectionString) problems.push("HYPERDRIVE: binding is missing");
  return { ok: false, problems };
}
