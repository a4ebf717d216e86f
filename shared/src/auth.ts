import { z } from "zod";

/** What an API key may be allowed to do. `admin` is granted only to keys of admin users. */
export const apiScopes = ["entries:read", "entries:write", "ai", "admin"] as const;
export const apiScopeSchema = z.enum(apiScopes);
export type ApiScope = z.infer<typeof apiScopeSchema>;

export const roles = ["user", "admin"] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

export const PASSWORD_MIN_LENGTH = 10;
/** PBKDF2 pre-hashes long keys, so this bound only keeps absurd bodies out, not a cost limit. */
export const PASSWORD_MAX_LENGTH = 1024;
/** The longest address SMTP can carry (RFC 5321). */
export const EMAIL_MAX_LENGTH = 254;

/** True for names the runtime's time-zone database knows, such as `Europe/Berlin` or `UTC`. */
export function isValidTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Compared and stored lower-cased, so `Ann@Example.com` and `ann@example.com` are one account. */
export const emailSchema = z
  .email({ error: "must be an email address" })
  .max(EMAIL_MAX_LENGTH, { error: `must be at most ${EMAIL_MAX_LENGTH} characters` })
  .toLowerCase();

export const newPasswordSchema = z
  .string({ error: "is required" })
  .min(PASSWORD_MIN_LENGTH, { error: `must be at least ${PASSWORD_MIN_LENGTH} characters` })
  .max(PASSWORD_MAX_LENGTH, { error: `must be at most ${PASSWORD_MAX_LENGTH} characters` });

/** Signing in checks the password itself, so no length rule here that would hint at the policy. */
const presentedPasswordSchema = z
  .string({ error: "is required" })
  .min(1, { error: "is required" })
  .max(PASSWORD_MAX_LENGTH, { error: `must be at most ${PASSWORD_MAX_LENGTH} characters` });

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, { error: "must not be empty" })
  .max(100, { error: "must be at most 100 characters" });

export const timezoneSchema = z
  .string()
  .max(64, { error: "must be at most 64 characters" })
  .refine(isValidTimeZone, { error: "must be an IANA time zone such as Europe/Berlin" });

export const registerRequestSchema = z.object({
  email: emailSchema,
  password: newPasswordSchema,
  displayName: displayNameSchema.optional(),
  timezone: timezoneSchema.optional(),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const loginRequestSchema = z.object({
  email: z
    .string({ error: "is required" })
    .max(EMAIL_MAX_LENGTH * 4)
    .toLowerCase(),
  password: presentedPasswordSchema,
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

const refreshTokenSchema = z.string({ error: "is required" }).min(1, { error: "is required" }).max(512);

export const refreshRequestSchema = z.object({ refreshToken: refreshTokenSchema });
export const logoutRequestSchema = z.object({ refreshToken: refreshTokenSchema });

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string().nullable(),
  timezone: z.string(),
  role: roleSchema,
  weeklyReflection: z.boolean(),
  createdAt: z.string(),
});
export type User = z.infer<typeof userSchema>;

export const authTokensSchema = z.object({
  user: userSchema,
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal("Bearer"),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int().positive(),
});
export type AuthTokens = z.infer<typeof authTokensSchema>;

/** `POST /v1/me/password`: the caller's fresh session, and how many API keys the change revoked. */
export const passwordChangedSchema = authTokensSchema.extend({
  /** Every API key of the account is revoked by a password change; this many were. */
  revokedApiKeys: z.number().int().nonnegative(),
});
export type PasswordChanged = z.infer<typeof passwordChangedSchema>;

/** Unknown fields are refused rather than ignored, so `{"role":"admin"}` fails loudly. */
export const updateMeRequestSchema = z.strictObject({
  displayName: displayNameSchema.nullable().optional(),
  timezone: timezoneSchema.optional(),
  weeklyReflection: z.boolean().optional(),
});
export type UpdateMeRequest = z.infer<typeof updateMeRequestSchema>;

export const changePasswordRequestSchema = z.object({
  currentPassword: presentedPasswordSchema,
  newPassword: newPasswordSchema,
});

export const createApiKeyRequestSchema = z.object({
  name: z
    .string({ error: "is required" })
    .trim()
    .min(1, { error: "must not be empty" })
    .max(100, { error: "must be at most 100 characters" }),
  scopes: z
    .array(apiScopeSchema)
    .min(1, { error: "must name at least one scope" })
    .max(apiScopes.length)
    .transform((scopes) => [...new Set(scopes)]),
  expiresAt: z.iso.datetime({ offset: true, error: "must be an ISO-8601 date-time" }).optional(),
  /**
   * The account's password. Required unless the access token comes from a password sign-in in the last
   * five minutes; a wrong one counts towards the sign-in lockout.
   */
  password: presentedPasswordSchema.optional(),
});
export type CreateApiKeyRequest = z.infer<typeof createApiKeyRequestSchema>;

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(apiScopeSchema),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type ApiKey = z.infer<typeof apiKeySchema>;

/** The only answer that ever carries the key itself. */
export const createdApiKeySchema = apiKeySchema.extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;
