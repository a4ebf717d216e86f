import { authTokensSchema, passwordChangedSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import {
  call,
  createKey,
  expectProblem,
  expectValidationPaths,
  login,
  newPassword,
  registerUser,
} from "../harness.ts";

describe.concurrent("POST /v1/me/password", () => {
  it("changes the password, signs out every session and hands the caller a new one", async () => {
    const user = await registerUser();
    const other = authTokensSchema.parse(await (await login(user.email, user.password)).json());
    const next = newPassword();
    const res = await call("/v1/me/password", {
      token: user.accessToken,
      body: { currentPassword: user.password, newPassword: next },
    });
    expect(res.status).toBe(200);
    const fresh = authTokensSchema.parse(await res.json());

    for (const token of [user.accessToken, other.accessToken]) {
      await expectProblem(await call("/v1/me", { token }), 401, "UNAUTHENTICATED");
    }
    for (const refreshToken of [user.refreshToken, other.refreshToken]) {
      await expectProblem(await call("/v1/auth/refresh", { body: { refreshToken } }), 401, "UNAUTHENTICATED");
    }
    expect((await call("/v1/me", { token: fresh.accessToken })).status).toBe(200);
    expect((await call("/v1/auth/refresh", { body: { refreshToken: fresh.refreshToken } })).status).toBe(200);
    await expectProblem(await login(user.email, user.password), 401, "UNAUTHENTICATED");
    expect((await login(user.email, next)).status).toBe(200);
  });

  it("refuses a wrong current password (400 naming currentPassword) and keeps the old one", async () => {
    const user = await registerUser();
    const res = await call("/v1/me/password", {
      token: user.accessToken,
      body: { currentPassword: "definitely-wrong", newPassword: newPassword() },
    });
    expect(await expectValidationPaths(res)).toEqual(["currentPassword"]);
    expect((await call("/v1/me", { token: user.accessToken })).status).toBe(200);
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it("validates the new password", async () => {
    const user = await registerUser();
    const res = await call("/v1/me/password", {
      token: user.accessToken,
      body: { currentPassword: user.password, newPassword: "short" },
    });
    expect(await expectValidationPaths(res)).toEqual(["newPassword"]);
    expect(
      await expectValidationPaths(await call("/v1/me/password", { token: user.accessToken, body: {} })),
    ).toEqual(["currentPassword", "newPassword"]);
  });

  it("revokes every API key of the account and says how many", async () => {
    const user = await registerUser();
    const keys = [await createKey(user, ["entries:read"]), await createKey(user, ["ai"])];
    for (const key of keys) expect((await call("/v1/entries", { token: key.key })).status).not.toBe(401);
    const res = await call("/v1/me/password", {
      token: user.accessToken,
      body: { currentPassword: user.password, newPassword: newPassword() },
    });
    expect(res.status).toBe(200);
    const body = passwordChangedSchema.parse(await res.json());
    expect(body.revokedApiKeys).toBe(2);
    for (const key of keys) {
      await expectProblem(await call("/v1/entries", { token: key.key }), 401, "UNAUTHENTICATED");
    }
    const listed = await (await call("/v1/api-keys", { token: body.accessToken })).json<{
      items: unknown[];
    }>();
    expect(listed.items).toEqual([]);
  });

  it("needs a token (401) and a session, not an API key (403)", async () => {
    const body = { currentPassword: "whatever-it-is", newPassword: newPassword() };
    await expectProblem(await call("/v1/me/password", { body }), 401, "UNAUTHENTICATED");
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write", "ai"]);
    await expectProblem(await call("/v1/me/password", { token: key.key, body }), 403, "FORBIDDEN");
  });
});
