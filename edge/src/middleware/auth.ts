import { type ApiScope, InkwellError } from "@inkwell/shared";
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, AuthContext } from "../hono-env.ts";
import { verifyAccessToken } from "../lib/access-token.ts";
import { afterResponse } from "../lib/after-response.ts";
import {
  API_KEY_PREFIX,
  isApiKeyShaped,
  touchApiKey,
  type VerifiedApiKey,
  verifyApiKey,
} from "../services/api-keys.ts";
import { loadAuthState } from "../services/auth-state.ts";
import { accountDisabled } from "../services/sessions.ts";
import { failAuthentication, refuseAddressOverFailureBudget } from "./auth-failures.ts";
import { idempotency } from "./idempotency.ts";
import { limitByPrincipal } from "./rate-limit.ts";

/** A signed-in person may do everything a key could, except administration unless they are an admin. */
const SESSION_SCOPES: readonly ApiScope[] = ["entries:read", "entries:write", "ai"];

const CHALLENGE = 'Bearer realm="inkwell"';

function bearerToken(c: Context<AppEnv>): string {
  const header = c.req.header("Authorization") ?? "";
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new InkwellError(
      "UNAUTHENTICATED",
      header
        ? "The Authorization header must be `Bearer <token>`."
        : "An access token or API key is required.",
      { headers: { "WWW-Authenticate": CHALLENGE } },
    );
  }
  return match[1];
}

const sessionEnded = () =>
  new InkwellError("UNAUTHENTICATED", "This session has been signed out; sign in again.", {
    headers: { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
  });

/**
 * Establishes who is calling, from an access JWT or an `ik_` API key, and puts it on the context
 * as `auth`. Every route that needs a user takes it from there, never from the request body or path.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const services = c.get("services");
  const token = bearerToken(c);
  let auth: AuthContext;
  if (token.startsWith(API_KEY_PREFIX)) {
    let key: VerifiedApiKey;
    try {
      // An address that keeps presenting unknown keys is refused before Postgres is asked again.
      key = await verifyApiKey(services, token, { beforeLookup: () => refuseAddressOverFailureBudget(c) });
    } catch (err) {
      // Malformed keys cost nothing and are not counted; unknown, revoked and expired ones are.
      if (err instanceof InkwellError && err.code === "UNAUTHENTICATED" && isApiKeyShaped(token)) {
        return await failAuthentication(c, err);
      }
      throw err;
    }
    const state = await loadAuthState(services, key.userId);
    if (!state) return await failAuthentication(c, sessionEnded());
    if (state.disabled) throw accountDisabled();
    auth = {
      userId: key.userId,
      role: state.role,
      // A key minted by an admin who has since been demoted loses its admin scope with them.
      scopes: key.scopes.filter((scope) => scope !== "admin" || state.role === "admin"),
      via: "api_key",
      apiKeyId: key.id,
      timezone: state.timezone,
    };
    afterResponse(c, "background work failed", touchApiKey(services, key));
  } else {
    const claims = await verifyAccessToken(token, {
      current: services.config.JWT_SECRET,
      previous: services.config.JWT_PREVIOUS_SECRET,
    });
    const state = await loadAuthState(services, claims.sub);
    // Disabling also bumps the token version; the token's owner is told why rather than "signed out".
    if (state?.disabled) throw accountDisabled();
    if (!state || state.tokenVersion !== claims.ver) return await failAuthentication(c, sessionEnded());
    auth = {
      userId: claims.sub,
      // The live role, not the claim: a demotion takes effect within the cache TTL, not at token expiry.
      role: state.role,
      scopes: state.role === "admin" ? [...SESSION_SCOPES, "admin"] : [...SESSION_SCOPES],
      via: "jwt",
      timezone: state.timezone,
      ...(claims.auth_time !== undefined ? { authTime: claims.auth_time } : {}),
    };
  }
  c.set("auth", auth);
  await next();
});

/** 403 unless the caller holds `scope`; `admin` also needs the admin role. */
export function requireScope(scope: ApiScope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const auth = c.get("auth");
    const allowed = auth.scopes.includes(scope) && (scope !== "admin" || auth.role === "admin");
    if (!allowed) {
      throw new InkwellError("FORBIDDEN", `This operation needs the ${scope} scope.`, {
        headers: { "WWW-Authenticate": `${CHALLENGE}, error="insufficient_scope", scope="${scope}"` },
      });
    }
    await next();
  });
}

/**
 * 403 unless the caller holds one of `scopes` (none of them `admin`). Reading reflections is reading the
 * journal (`entries:read`) but the contract also files reflections under `ai`; either is enough to read.
 */
export function requireAnyScope(...scopes: Exclude<ApiScope, "admin">[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!scopes.some((scope) => c.get("auth").scopes.includes(scope))) {
      throw new InkwellError("FORBIDDEN", `This operation needs one of the scopes ${scopes.join(", ")}.`, {
        headers: {
          "WWW-Authenticate": `${CHALLENGE}, error="insufficient_scope", scope="${scopes.join(" ")}"`,
        },
      });
    }
    await next();
  });
}

/**
 * 403 for API keys: managing keys, passwords and sessions needs a person signed in, so a leaked key
 * cannot mint more keys or lock its owner out.
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("auth").via !== "jwt") {
    throw new InkwellError(
      "FORBIDDEN",
      "This operation needs a signed-in session; API keys cannot perform it.",
    );
  }
  await next();
});

/**
 * The middleware chain of every protected route: authenticate, then the per-caller rate limit
 * (so wrong-scope attempts count too), then the route's own guards, then `Idempotency-Key` (POST only):
 * last, so a refused caller never claims a key, and in one place, so no POST route can forget it.
 */
export function protect(...guards: MiddlewareHandler<AppEnv>[]): MiddlewareHandler<AppEnv>[] {
  return [authenticate, limitByPrincipal, ...guards, idempotency];
}
