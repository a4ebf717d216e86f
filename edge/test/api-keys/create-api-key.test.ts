import { authTokensSchema, createdApiKeySchema } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema/index.ts";
import { signAccessToken } from "../../src/lib/access-token.ts";
import {
  call,
  createKey,
  edgeEnv,
  expectProblem,
  expectValidationPaths,
  registerAdmin,
  registerUser,
  type TestUser,
  testDb,
} from "../harness.ts";

describe.concurrent("POST /v1/api-keys", () => {
  it("creates a key and shows it once, with its prefix and scopes", async () => {
    const user = await registerUser();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const res = await call("/v1/api-keys", {
      token: user.accessToken,
      body: {
        name: "  Obsidian sync  ",
        scopes: ["entries:read", "entries:write", "entries:read"],
        expiresAt,
      },
    });
    expect(res.status).toBe(201);
    const created = createdApiKeySchema.parse(await res.json());
    expect(created.key).toMatch(/^ik_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.prefix).toHaveLength(11);
    expect(created).toMatchObject({
      name: "Obsidian sync",
      scopes: ["entries:read", "entries:write"],
      expiresAt,
      lastUsedAt: null,
    });
    expect(Date.parse(created.createdAt)).not.toBeNaN();
  });

  it("validates name, scopes and expiry, naming each field", async () => {
    const user = await registerUser();
    const post = (body: unknown) => call("/v1/api-keys", { token: user.accessToken, body });
    expect(await expectValidationPaths(await post({}))).toEqual(["name", "scopes"]);
    expect(await expectValidationPaths(await post({ name: "x", scopes: [] }))).toEqual(["scopes"]);
    expect(await expectValidationPaths(await post({ name: "x", scopes: ["entries:delete"] }))).toEqual([
      "scopes.0",
    ]);
    expect(await expectValidationPaths(await post({ name: "", scopes: ["ai"] }))).toEqual(["name"]);
    expect(
      await expectValidationPaths(await post({ name: "x", scopes: ["ai"], expiresAt: "tomorrow" })),
    ).toEqual(["expiresAt"]);
    const past = new Date(Date.now() - 1000).toISOString();
    expect(await expectValidationPaths(await post({ name: "x", scopes: ["ai"], expiresAt: past }))).toEqual([
      "expiresAt",
    ]);
  });

  it("grants the admin scope only to administrators (403 otherwise)", async () => {
    const user = await registerUser();
    const res = await call("/v1/api-keys", {
      token: user.accessToken,
      body: { name: "ops", scopes: ["admin"] },
    });
    await expectProblem(res, 403, "FORBIDDEN");
    const admin = await registerAdmin();
    const key = await createKey(admin, ["admin"]);
    expect(key.scopes).toEqual(["admin"]);
  });

  it("needs a token (401), and a key cannot mint keys (403)", async () => {
    const body = { name: "x", scopes: ["ai"] };
    await expectProblem(await call("/v1/api-keys", { body }), 401, "UNAUTHENTICATED");
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write", "ai"]);
    await expectProblem(await call("/v1/api-keys", { token: key.key, body }), 403, "FORBIDDEN");
  });
});

describe.concurrent("POST /v1/api-keys needs the password unless the sign-in is minutes old", () => {
  /** An access token as a refresh issues it: no `auth_time`, so no proof the password was just typed. */
  async function refreshedToken(user: TestUser): Promise<string> {
    const res = await call("/v1/auth/refresh", { body: { refreshToken: user.refreshToken } });
    expect(res.status).toBe(200);
    return authTokensSchema.parse(await res.json()).accessToken;
  }

  it("refuses a refreshed session without the password (400 on password) and accepts it with it", async () => {
    const user = await registerUser();
    const token = await refreshedToken(user);
    const body = { name: "stolen-token key", scopes: ["entries:read", "entries:write", "ai"] };
    expect(await expectValidationPaths(await call("/v1/api-keys", { token, body }))).toEqual(["password"]);
    const res = await call("/v1/api-keys", { token, body: { ...body, password: user.password } });
    expect(res.status).toBe(201);
  });

  it("refuses a session whose password sign-in is older than five minutes", async () => {
    const user = await registerUser();
    const now = Date.now();
    const { token } = await signAccessToken(
      { userId: user.id, role: "user", tokenVersion: 0, authTime: Math.floor(now / 1000) - 6 * 60 },
      edgeEnv.JWT_SECRET ?? "",
      now,
    );
    const body = { name: "late", scopes: ["entries:read"] };
    expect(await expectValidationPaths(await call("/v1/api-keys", { token, body }))).toEqual(["password"]);
  });

  it("counts a wrong password towards the sign-in lockout", async () => {
    const user = await registerUser();
    const token = await refreshedToken(user);
    const body = { name: "guess", scopes: ["entries:read"], password: "not-the-password" };
    expect(await expectValidationPaths(await call("/v1/api-keys", { token, body }))).toEqual(["password"]);
    const [row] = await testDb()
      .select({ failed: users.failedLoginCount })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.failed).toBe(1);
  });
});
