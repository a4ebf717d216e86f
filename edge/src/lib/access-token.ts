import { InkwellError, type Role, roleSchema, uuidv7 } from "@inkwell/shared";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";

/** Access tokens live 15 minutes; refresh tokens carry a session beyond that. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const TOKEN_ISSUER = "inkwell";
const ALGORITHM = "HS256";

const encoder = new TextEncoder();

export interface AccessTokenSubject {
  userId: string;
  role: Role;
  /** The user's token version when the token was issued; see users.tokenVersion. */
  tokenVersion: number;
  /** When the password was checked (seconds), for tokens issued by a password sign-in only (not refreshes). */
  authTime?: number | undefined;
}

export interface SigningKeys {
  current: string;
  /** Still accepted for verification, so rotating JWT_SECRET signs nobody out. */
  previous?: string | undefined;
}

const claimsSchema = z.object({
  sub: z.uuid(),
  role: roleSchema,
  ver: z.number().int().nonnegative(),
  jti: z.string().min(1),
  iat: z.number(),
  exp: z.number(),
  /** OIDC's `auth_time`: present only on tokens issued right after the password was checked. */
  auth_time: z.number().optional(),
});
export type AccessTokenClaims = z.infer<typeof claimsSchema>;

export async function signAccessToken(
  subject: AccessTokenSubject,
  secret: string,
  now = Date.now(),
): Promise<{ token: string; expiresIn: number }> {
  const iat = Math.floor(now / 1000);
  const token = await new SignJWT({
    role: subject.role,
    ver: subject.tokenVersion,
    ...(subject.authTime !== undefined ? { auth_time: subject.authTime } : {}),
  })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(subject.userId)
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .setJti(uuidv7(now))
    .sign(encoder.encode(secret));
  return { token, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
}

function unauthenticated(description: string): InkwellError {
  return new InkwellError("UNAUTHENTICATED", description, {
    headers: {
      "WWW-Authenticate": `Bearer realm="inkwell", error="invalid_token", error_description="${description}"`,
    },
  });
}

async function verifyWith(token: string, secret: string): Promise<AccessTokenClaims> {
  const { payload } = await jwtVerify(token, encoder.encode(secret), {
    algorithms: [ALGORITHM],
    issuer: TOKEN_ISSUER,
    requiredClaims: ["sub", "exp", "iat", "jti"],
  });
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw unauthenticated("The access token is not valid.");
  return claims.data;
}

/**
 * Verifies signature (current key, then the previous one), algorithm, issuer and expiry. Every
 * failure is the same 401 apart from expiry, which a client handles by refreshing.
 */
export async function verifyAccessToken(token: string, keys: SigningKeys): Promise<AccessTokenClaims> {
  const secrets = keys.previous ? [keys.current, keys.previous] : [keys.current];
  for (const secret of secrets) {
    try {
      return await verifyWith(token, secret);
    } catch (err) {
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) continue;
      if (err instanceof joseErrors.JWTExpired) throw unauthenticated("The access token has expired.");
      if (err instanceof InkwellError) throw err;
      throw unauthenticated("The access token is not valid.");
    }
  }
  throw unauthenticated("The access token is not valid.");
}
