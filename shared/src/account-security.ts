import { z } from "zod";
import { apiKeySchema } from "./auth.ts";

/** Where a request came from, as coarsely as Cloudflare's edge tells it: never the address itself. */
const placeFields = {
  country: z.string().nullable(),
  city: z.string().nullable(),
  /** The client's User-Agent, cut to 200 characters. */
  userAgent: z.string().nullable(),
};

export const signInRecordSchema = z.object({
  at: z.string(),
  succeeded: z.boolean(),
  ...placeFields,
});
export type SignInRecord = z.infer<typeof signInRecordSchema>;

/** A signed-in session: one refresh-token family, from its sign-in to its latest refresh. */
export const activeSessionSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  lastActiveAt: z.string(),
  expiresAt: z.string(),
  ...placeFields,
});
export type ActiveSession = z.infer<typeof activeSessionSchema>;

/** `GET /v1/me/security`. */
export const accountSecuritySchema = z.object({
  signIns: z.array(signInRecordSchema),
  sessions: z.array(activeSessionSchema),
  apiKeys: z.array(apiKeySchema),
});
export type AccountSecurity = z.infer<typeof accountSecuritySchema>;
