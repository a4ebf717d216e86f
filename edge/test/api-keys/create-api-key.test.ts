import { createdApiKeySchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import {
  call,
  createKey,
  expectProblem,
  expectValidationPaths,
  registerAdmin,
  registerUser,
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
