import { z } from "zod";
import { EMAIL_MAX_LENGTH, newPasswordSchema } from "./auth.ts";

/** Minutes a password-reset token stays usable; it works once. */
export const PASSWORD_RESET_TTL_MINUTES = 30;

/**
 * `POST /v1/auth/forgot-password`. Not checked as an address beyond its length: the answer is the same
 * 202 whatever was sent, so a stricter rule would only tell callers something.
 */
export const forgotPasswordRequestSchema = z.object({
  email: z
    .string({ error: "is required" })
    .min(1, { error: "is required" })
    .max(EMAIL_MAX_LENGTH * 4, { error: "is too long" })
    .toLowerCase(),
});
export type ForgotPasswordRequest = z.infer<typeof forgotPasswordRequestSchema>;

/** The same answer whether or not an account has the address, and whether or not mail is configured. */
export const forgotPasswordAcceptedSchema = z.object({ accepted: z.literal(true) });

export const resetPasswordRequestSchema = z.object({
  token: z.string({ error: "is required" }).min(1, { error: "is required" }).max(512),
  newPassword: newPasswordSchema,
});
export type ResetPasswordRequest = z.infer<typeof resetPasswordRequestSchema>;

export const passwordResetDoneSchema = z.object({
  /** Every API key of the account is revoked by a reset, as by a password change; this many were. */
  revokedApiKeys: z.number().int().nonnegative(),
});

/** What an administrator gets for a user: the only answer that ever carries the token itself. */
export const issuedPasswordResetSchema = z.object({
  userId: z.string(),
  token: z.string(),
  /** The operator's reset page with the token, when `PASSWORD_RESET_URL` is configured. */
  url: z.string().nullable(),
  expiresAt: z.string(),
});
export type IssuedPasswordReset = z.infer<typeof issuedPasswordResetSchema>;
