import { InkwellError } from "@inkwell/shared";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../hono-env.ts";
import { REFRESH_TOKEN_TTL_SECONDS } from "../services/sessions.ts";

/**
 * First-party browser sessions (the web app the Worker serves on its own origin) keep the refresh token
 * in a cookie no script can read instead of in answers' bodies. API clients keep bearer tokens in bodies;
 * a client asks for the cookie mode with this header on register, login and refresh.
 */
export const WEB_CLIENT_HEADER = "X-Inkwell-Client";
export const REFRESH_COOKIE = "inkwell_refresh";
/** Sent with the auth routes only (refresh and logout read it), never with any other request. */
export const REFRESH_COOKIE_PATH = "/v1/auth";

const ISSUING = new Set(["/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh"]);
const PRESENTING = new Set(["/v1/auth/refresh", "/v1/auth/logout"]);

const cookieOptions = {
  path: REFRESH_COOKIE_PATH,
  httpOnly: true,
  secure: true,
  sameSite: "Strict",
} as const;

/**
 * The cookie's token, for a request that sent none in its body. SameSite=Strict keeps other sites'
 * requests from carrying it; the Origin check refuses what remains (a same-site page on another origin,
 * an old browser), so only pages of this origin can spend it.
 */
function tokenFromCookie(c: Context<AppEnv>): string {
  const token = getCookie(c, REFRESH_COOKIE);
  if (!token) {
    throw new InkwellError("UNAUTHENTICATED", "Send the refresh token in the body, or sign in again.");
  }
  const origin = c.req.header("Origin");
  if (!origin || origin !== new URL(c.req.url).origin) {
    throw new InkwellError("FORBIDDEN", "A cookie session is refreshed only from pages of this origin.");
  }
  return token;
}

/**
 * The cookie mode of the auth routes, around them rather than inside each:
 * - `POST /v1/auth/refresh` or `/logout` without a body (no `Content-Type`) presents the cookie's token to
 *   the route as the body it would otherwise carry; a logout then also clears the cookie.
 * - An answer that hands out a refresh token (register, login, refresh) to a request in cookie mode
 *   (`X-Inkwell-Client: web`, or a refresh by cookie) moves the token into the cookie and leaves the
 *   body's `refreshToken` empty.
 * Requests with a body and without the header are untouched: bearer clients see no difference.
 */
export const refreshCookieMode: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== "POST") return next();
  const path = c.req.path;
  // Browsers send a body-less POST with `Content-Length: 0`; anything longer is a body, cookie or not.
  const bodyless = !c.req.header("Content-Type") && (c.req.header("Content-Length") ?? "0") === "0";
  const byCookie = PRESENTING.has(path) && bodyless;
  if (byCookie) {
    const headers = new Headers(c.req.raw.headers);
    headers.set("Content-Type", "application/json");
    c.req.raw = new Request(c.req.raw, {
      headers,
      body: JSON.stringify({ refreshToken: tokenFromCookie(c) }),
    });
  }
  await next();

  if (byCookie && path === "/v1/auth/logout") {
    deleteCookie(c, REFRESH_COOKIE, cookieOptions);
    return;
  }
  const cookieMode = byCookie || c.req.header(WEB_CLIENT_HEADER)?.trim().toLowerCase() === "web";
  if (!cookieMode || !ISSUING.has(path) || (c.res.status !== 200 && c.res.status !== 201)) return;
  const body = (await c.res.clone().json()) as { refreshToken?: unknown };
  if (typeof body.refreshToken !== "string" || body.refreshToken === "") return;
  // Hono carries the earlier answer's headers (request id, security headers) over to this one.
  c.res = new Response(JSON.stringify({ ...body, refreshToken: "" }), {
    status: c.res.status,
    headers: { "Content-Type": "application/json" },
  });
  setCookie(c, REFRESH_COOKIE, body.refreshToken, { ...cookieOptions, maxAge: REFRESH_TOKEN_TTL_SECONDS });
};
