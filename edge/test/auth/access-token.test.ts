import { randomToken } from "@inkwell/shared";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signAccessToken, TOKEN_ISSUER, verifyAccessToken } from "../../src/lib/access-token.ts";
import { call, callWithEnv, edgeEnv, expectProblem, registerUser } from "../harness.ts";

const encoder = new TextEncoder();

/** Crafts a token the way an attacker (or a clock) might, with full control over its claims. */
async function craft(
  claims: Record<string, unknown>,
  options: { secret?: string; iat?: number; exp?: number; alg?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ role: "user", ver: 0, ...claims })
    .setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" })
    .setIssuer(TOKEN_ISSUER)
    .setJti(crypto.randomUUID())
    .setIssuedAt(options.iat ?? now)
    .setExpirationTime(options.exp ?? now + 600)
    .sign(encoder.encode(options.secret ?? edgeEnv.JWT_SECRET ?? ""));
}

describe.concurrent("access tokens on a protected route (GET /v1/me)", () => {
  it("answers 401 with a Bearer challenge when the token is missing or the header is malformed", async () => {
    const missing = await call("/v1/me");
    await expectProblem(missing, 401, "UNAUTHENTICATED");
    expect(missing.headers.get("WWW-Authenticate")).toBe('Bearer realm="inkwell"');
    for (const header of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "token"]) {
      await expectProblem(
        await call("/v1/me", { headers: { Authorization: header } }),
        401,
        "UNAUTHENTICATED",
      );
    }
  });

  it("refuses an expired token", async () => {
    const user = await registerUser();
    const now = Math.floor(Date.now() / 1000);
    const token = await craft({ sub: user.id }, { iat: now - 3600, exp: now - 60 });
    const res = await call("/v1/me", { token });
    const problem = await expectProblem(res, 401, "UNAUTHENTICATED");
    expect(problem.detail).toMatch(/expired/);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/error="invalid_token"/);
  });

  it("refuses tampered tokens: changed payload, other key, alg none, garbage", async () => {
    const user = await registerUser();
    const [header, , signature] = user.accessToken.split(".");
    const forgedPayload = btoa(JSON.stringify({ sub: user.id, role: "admin", ver: 0, exp: 4102444800 }))
      .replaceAll("=", "")
      .replaceAll("+", "-")
      .replaceAll("/", "_");
    const tampered = `${header}.${forgedPayload}.${signature}`;
    const otherKey = await craft({ sub: user.id }, { secret: randomToken(48) });
    const unsigned = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replaceAll("=", "")}.${forgedPayload}.`;
    const hs512 = await craft({ sub: user.id }, { alg: "HS512" });
    for (const token of [tampered, otherKey, unsigned, hs512, "not.a.jwt", `${user.accessToken}x`]) {
      await expectProblem(await call("/v1/me", { token }), 401, "UNAUTHENTICATED");
    }
  });

  it("refuses a correctly signed token for a user that does not exist or with the wrong version", async () => {
    const user = await registerUser();
    await expectProblem(
      await call("/v1/me", { token: await craft({ sub: crypto.randomUUID() }) }),
      401,
      "UNAUTHENTICATED",
    );
    await expectProblem(
      await call("/v1/me", { token: await craft({ sub: user.id, ver: 7 }) }),
      401,
      "UNAUTHENTICATED",
    );
    // The same claims with the right version are accepted, so it is the version that was refused.
    expect((await call("/v1/me", { token: await craft({ sub: user.id, ver: 0 }) })).status).toBe(200);
  });

  it("takes the role from the account, not from the token's claim", async () => {
    const user = await registerUser();
    const token = await craft({ sub: user.id, role: "admin" });
    const me = await (await call("/v1/me", { token })).json<{ role: string }>();
    expect(me.role).toBe("user");
  });
});

describe.concurrent("signing-key rotation", () => {
  const oldSecret = randomToken(48);
  const newSecret = randomToken(48);

  it("verifies with the current key, then the previous one; never with an unrelated key", async () => {
    const subject = { userId: crypto.randomUUID(), role: "user" as const, tokenVersion: 3 };
    const signedOld = (await signAccessToken(subject, oldSecret)).token;
    const signedNew = (await signAccessToken(subject, newSecret)).token;
    const keys = { current: newSecret, previous: oldSecret };
    expect((await verifyAccessToken(signedNew, keys)).sub).toBe(subject.userId);
    expect((await verifyAccessToken(signedOld, keys)).ver).toBe(3);
    await expect(verifyAccessToken(signedOld, { current: newSecret })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    await expect(
      verifyAccessToken(signedNew, { current: randomToken(48), previous: oldSecret }),
    ).rejects.toThrow();
  });

  it("keeps tokens signed with the previous key working through the API after a rotation", async () => {
    const user = await registerUser();
    const rotated = { JWT_SECRET: randomToken(48), JWT_PREVIOUS_SECRET: edgeEnv.JWT_SECRET ?? "" };
    const res = await callWithEnv(rotated, "/v1/me", { token: user.accessToken });
    expect(res.status).toBe(200);
    // Without the previous key configured, the same token is refused.
    const dropped = await callWithEnv({ JWT_SECRET: rotated.JWT_SECRET }, "/v1/me", {
      token: user.accessToken,
    });
    await expectProblem(dropped, 401, "UNAUTHENTICATED");
  });
});
