import { authTokensSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { BASE_URL, call, expectProblem, newPassword, registerUser, uniqueEmail } from "../harness.ts";

const WEB = { "X-Inkwell-Client": "web" };
const ORIGIN = { Origin: BASE_URL };

/** The refresh cookie a response set: its value and its attributes, lower-cased. */
function refreshCookie(res: Response): { value: string; attributes: string[] } | undefined {
  const header = res.headers.getSetCookie().find((h) => h.startsWith("inkwell_refresh="));
  if (!header) return undefined;
  const [pair = "", ...attributes] = header.split(";").map((part) => part.trim());
  return { value: pair.slice("inkwell_refresh=".length), attributes: attributes.map((a) => a.toLowerCase()) };
}

/** A body-less refresh or logout, as the web app sends it: the cookie is the credential. */
function byCookie(path: string, value: string, headers: Record<string, string> = ORIGIN): Promise<Response> {
  return call(path, { method: "POST", headers: { Cookie: `inkwell_refresh=${value}`, ...headers } });
}

async function webSignUp(): Promise<{ email: string; password: string; cookie: string; access: string }> {
  const email = uniqueEmail();
  const password = newPassword();
  const res = await call("/v1/auth/register", { body: { email, password }, headers: WEB });
  expect(res.status).toBe(201);
  const body = authTokensSchema.parse(await res.json());
  const cookie = refreshCookie(res);
  expect(cookie).toBeDefined();
  return { email, password, cookie: cookie?.value ?? "", access: body.accessToken };
}

describe.concurrent("the web app's refresh-token cookie", () => {
  it("register and login in cookie mode put the refresh token in an HttpOnly, Secure, SameSite=Strict cookie for /v1/auth only", async () => {
    const email = uniqueEmail();
    const password = newPassword();
    const register = await call("/v1/auth/register", { body: { email, password }, headers: WEB });
    expect(register.status).toBe(201);
    const registered = authTokensSchema.parse(await register.json());
    expect(registered.refreshToken).toBe("");
    expect((await call("/v1/me", { token: registered.accessToken })).status).toBe(200);
    const cookie = refreshCookie(register);
    expect(cookie?.value).toMatch(/.{20,}/);
    expect(cookie?.attributes).toEqual(
      expect.arrayContaining(["httponly", "secure", "samesite=strict", "path=/v1/auth"]),
    );
    expect(register.headers.get("Cache-Control")).toBe("no-store");

    const login = await call("/v1/auth/login", { body: { email, password }, headers: WEB });
    expect(login.status).toBe(200);
    expect(authTokensSchema.parse(await login.json()).refreshToken).toBe("");
    expect(refreshCookie(login)?.value).toMatch(/.{20,}/);
  });

  it("bearer clients are unchanged: no cookie, the refresh token in the body", async () => {
    const user = await registerUser();
    expect(user.refreshToken).not.toBe("");
    const res = await call("/v1/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(res.status).toBe(200);
    expect(refreshCookie(res)).toBeUndefined();
    expect(authTokensSchema.parse(await res.json()).refreshToken).not.toBe("");
  });

  it("a body-less refresh from this origin rotates the cookie, and the spent cookie then revokes the family", async () => {
    const user = await webSignUp();
    const res = await byCookie("/v1/auth/refresh", user.cookie);
    expect(res.status).toBe(200);
    const body = authTokensSchema.parse(await res.json());
    expect(body.refreshToken).toBe("");
    expect((await call("/v1/me", { token: body.accessToken })).status).toBe(200);
    const next = refreshCookie(res)?.value ?? "";
    expect(next).not.toBe(user.cookie);
    // Replaying the first cookie is a reuse: the whole sign-in ends, the newer cookie with it.
    await expectProblem(await byCookie("/v1/auth/refresh", user.cookie), 401, "UNAUTHENTICATED");
    await expectProblem(await byCookie("/v1/auth/refresh", next), 401, "UNAUTHENTICATED");
  });

  it("takes a browser's body-less POST (Content-Length: 0) as a cookie refresh", async () => {
    const user = await webSignUp();
    const res = await byCookie("/v1/auth/refresh", user.cookie, { ...ORIGIN, "Content-Length": "0" });
    expect(res.status).toBe(200);
    expect(refreshCookie(res)?.value).toMatch(/.{20,}/);
  });

  it("refuses a cookie refresh without this origin's Origin header (403), and spends nothing", async () => {
    const user = await webSignUp();
    await expectProblem(
      await byCookie("/v1/auth/refresh", user.cookie, { Origin: "https://evil.example" }),
      403,
      "FORBIDDEN",
    );
    await expectProblem(await byCookie("/v1/auth/refresh", user.cookie, {}), 403, "FORBIDDEN");
    expect((await byCookie("/v1/auth/refresh", user.cookie)).status).toBe(200);
  });

  it("a body-less refresh without the cookie is 401", async () => {
    await expectProblem(
      await call("/v1/auth/refresh", { method: "POST", headers: ORIGIN }),
      401,
      "UNAUTHENTICATED",
    );
  });

  it("a body-less logout signs the cookie session out and clears the cookie", async () => {
    const user = await webSignUp();
    const res = await byCookie("/v1/auth/logout", user.cookie);
    expect(res.status).toBe(204);
    const cleared = refreshCookie(res);
    expect(cleared?.value).toBe("");
    expect(cleared?.attributes).toEqual(expect.arrayContaining(["max-age=0", "path=/v1/auth"]));
    await expectProblem(await byCookie("/v1/auth/refresh", user.cookie), 401, "UNAUTHENTICATED");
    await expectProblem(
      await byCookie("/v1/auth/logout", user.cookie, { Origin: "https://evil.example" }),
      403,
      "FORBIDDEN",
    );
  });
});
