import { authTokensSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { call, expectProblem, expectValidationPaths, login, registerUser } from "../harness.ts";

async function refresh(refreshToken: string): Promise<Response> {
  return await call("/v1/auth/refresh", { body: { refreshToken } });
}

describe.concurrent("POST /v1/auth/refresh", () => {
  it("rotates: a new pair for the old refresh token, and the new access token works", async () => {
    const user = await registerUser();
    const res = await refresh(user.refreshToken);
    expect(res.status).toBe(200);
    const body = authTokensSchema.parse(await res.json());
    expect(body.user.id).toBe(user.id);
    expect(body.refreshToken).not.toBe(user.refreshToken);
    expect((await call("/v1/me", { token: body.accessToken })).status).toBe(200);
    // The successor can be used in turn.
    expect((await refresh(body.refreshToken)).status).toBe(200);
  });

  it("revokes the whole family when a spent token is presented again (401)", async () => {
    const user = await registerUser();
    const first = authTokensSchema.parse(await (await refresh(user.refreshToken)).json());
    // Someone replays the original (stolen) token:
    await expectProblem(await refresh(user.refreshToken), 401, "UNAUTHENTICATED");
    // ...and the legitimate successor dies with it.
    await expectProblem(await refresh(first.refreshToken), 401, "UNAUTHENTICATED");
  });

  it("leaves other sign-ins (other families) alone when one family is revoked", async () => {
    const user = await registerUser();
    const other = authTokensSchema.parse(await (await login(user.email, user.password)).json());
    await refresh(user.refreshToken);
    await refresh(user.refreshToken);
    expect((await refresh(other.refreshToken)).status).toBe(200);
  });

  it("refuses unknown, malformed and missing tokens", async () => {
    await expectProblem(await refresh("rt_not-a-real-token"), 401, "UNAUTHENTICATED");
    await expectProblem(await refresh("' OR 1=1 --"), 401, "UNAUTHENTICATED");
    expect(await expectValidationPaths(await call("/v1/auth/refresh", { body: {} }))).toEqual([
      "refreshToken",
    ]);
    expect(await expectValidationPaths(await refresh("x".repeat(600)))).toEqual(["refreshToken"]);
  });
});

describe.concurrent("POST /v1/auth/logout", () => {
  it("revokes the token's family (204) and answers the same for unknown tokens", async () => {
    const user = await registerUser();
    const rotated = authTokensSchema.parse(await (await refresh(user.refreshToken)).json());
    const res = await call("/v1/auth/logout", { body: { refreshToken: user.refreshToken } });
    expect(res.status).toBe(204);
    await expectProblem(await refresh(rotated.refreshToken), 401, "UNAUTHENTICATED");
    expect((await call("/v1/auth/logout", { body: { refreshToken: "rt_unknown" } })).status).toBe(204);
  });

  it("validates the body", async () => {
    expect(
      await expectValidationPaths(await call("/v1/auth/logout", { body: { refreshToken: "" } })),
    ).toEqual(["refreshToken"]);
  });
});

describe.concurrent("POST /v1/auth/logout-all", () => {
  it("revokes every refresh token and makes issued access tokens stop working at once", async () => {
    const user = await registerUser();
    const second = authTokensSchema.parse(await (await login(user.email, user.password)).json());
    // Prime the auth-state cache so the test proves invalidation, not a cold read.
    expect((await call("/v1/me", { token: second.accessToken })).status).toBe(200);

    const res = await call("/v1/auth/logout-all", { method: "POST", token: user.accessToken });
    expect(res.status).toBe(204);

    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
    await expectProblem(await call("/v1/me", { token: second.accessToken }), 401, "UNAUTHENTICATED");
    await expectProblem(await refresh(user.refreshToken), 401, "UNAUTHENTICATED");
    await expectProblem(await refresh(second.refreshToken), 401, "UNAUTHENTICATED");

    // Signing in again works and gives a working session.
    const fresh = authTokensSchema.parse(await (await login(user.email, user.password)).json());
    expect((await call("/v1/me", { token: fresh.accessToken })).status).toBe(200);
  });

  it("needs a token (401) and a session rather than an API key (403)", async () => {
    const res = await call("/v1/auth/logout-all", { method: "POST" });
    await expectProblem(res, 401, "UNAUTHENTICATED");
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    const user = await registerUser();
    const key = await (
      await call("/v1/api-keys", { token: user.accessToken, body: { name: "ci", scopes: ["entries:read"] } })
    ).json<{ key: string }>();
    await expectProblem(
      await call("/v1/auth/logout-all", { method: "POST", token: key.key }),
      403,
      "FORBIDDEN",
    );
  });
});
