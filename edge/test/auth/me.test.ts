import { userSchema } from "@inkwell/shared";
import { Redis } from "@upstash/redis/cloudflare";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema/index.ts";
import { cacheKey } from "../../src/lib/cache.ts";
import { publishAuthState } from "../../src/services/auth-state.ts";
import {
  call,
  createKey,
  edgeEnv,
  expectProblem,
  expectValidationPaths,
  registerUser,
  testDb,
} from "../harness.ts";

describe.concurrent("GET /v1/me", () => {
  it("returns the caller's account", async () => {
    const user = await registerUser({ displayName: "Grace", timezone: "America/New_York" });
    const res = await call("/v1/me", { token: user.accessToken });
    expect(res.status).toBe(200);
    const me = userSchema.parse(await res.json());
    expect(me).toMatchObject({
      id: user.id,
      email: user.email,
      displayName: "Grace",
      timezone: "America/New_York",
      role: "user",
      weeklyReflection: false,
    });
    expect(Date.parse(me.createdAt)).not.toBeNaN();
    expect(res.headers.get("RateLimit-Limit")).toBe("600");
    expect(Number(res.headers.get("RateLimit-Remaining"))).toBeLessThan(600);
  });

  it("works with an API key of any scope", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["ai"]);
    const me = userSchema.parse(await (await call("/v1/me", { token: key.key })).json());
    expect(me.id).toBe(user.id);
  });

  it("needs a token (401)", async () => {
    await expectProblem(await call("/v1/me"), 401, "UNAUTHENTICATED");
  });
});

describe.concurrent("PATCH /v1/me", () => {
  it("changes display name, time zone and weekly reflection", async () => {
    const user = await registerUser();
    const res = await call("/v1/me", {
      method: "PATCH",
      token: user.accessToken,
      body: { displayName: "  Zoë 日記 ✍️  ", timezone: "Asia/Kolkata", weeklyReflection: true },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      displayName: "Zoë 日記 ✍️",
      timezone: "Asia/Kolkata",
      weeklyReflection: true,
    });
    const cleared = await call("/v1/me", {
      method: "PATCH",
      token: user.accessToken,
      body: { displayName: null },
    });
    expect(await cleared.json()).toMatchObject({ displayName: null, timezone: "Asia/Kolkata" });
    const unchanged = await call("/v1/me", { method: "PATCH", token: user.accessToken, body: {} });
    expect(await unchanged.json()).toMatchObject({ displayName: null, weeklyReflection: true });
  });

  it("stores SQL-looking text verbatim", async () => {
    const user = await registerUser();
    const displayName = "Robert'); DROP TABLE users;--";
    const res = await call("/v1/me", { method: "PATCH", token: user.accessToken, body: { displayName } });
    expect(await res.json()).toMatchObject({ displayName });
    expect(await (await call("/v1/me", { token: user.accessToken })).json()).toMatchObject({ displayName });
  });

  it("refuses unknown time zones, bad types and fields it does not own (like role)", async () => {
    const user = await registerUser();
    const patch = (body: unknown) => call("/v1/me", { method: "PATCH", token: user.accessToken, body });
    expect(await expectValidationPaths(await patch({ timezone: "Europe/Atlantis" }))).toEqual(["timezone"]);
    expect(await expectValidationPaths(await patch({ weeklyReflection: "yes" }))).toEqual([
      "weeklyReflection",
    ]);
    expect(await expectValidationPaths(await patch({ displayName: "x".repeat(101) }))).toEqual([
      "displayName",
    ]);
    const escalation = await expectValidationPaths(await patch({ role: "admin" }));
    expect(escalation).toEqual(["(root)"]);
    expect(await (await call("/v1/me", { token: user.accessToken })).json()).toMatchObject({ role: "user" });
  });

  it("a time-zone change that read the account before a sign-out everywhere does not revive old tokens", async () => {
    const user = await registerUser();
    // What PATCH /v1/me publishes when its UPDATE ran just before logout-all bumped the token version:
    // the account as it was, with the time zone just set.
    const [before] = await testDb()
      .select({ tokenVersion: users.tokenVersion, role: users.role })
      .from(users)
      .where(eq(users.id, user.id));
    expect((await call("/v1/me", { token: user.accessToken })).status).toBe(200);
    expect((await call("/v1/auth/logout-all", { method: "POST", token: user.accessToken })).status).toBe(204);
    const redis = new Redis({
      url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
      token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    });
    await publishAuthState({ redis }, user.id, {
      tokenVersion: before?.tokenVersion ?? 0,
      role: before?.role ?? "user",
      timezone: "Asia/Tokyo",
    });
    // The late write lost: the token logout-all revoked stays revoked.
    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
  });

  it("a time-zone change reaches auth at once and keeps the session working", async () => {
    const user = await registerUser({ timezone: "UTC" });
    expect((await call("/v1/me", { token: user.accessToken })).status).toBe(200);
    const res = await call("/v1/me", {
      method: "PATCH",
      token: user.accessToken,
      body: { timezone: "Pacific/Auckland" },
    });
    expect(res.status).toBe(200);
    const redis = new Redis({
      url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
      token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    });
    expect(await redis.get(cacheKey("authState", user.id))).toMatchObject({
      timezone: "Pacific/Auckland",
    });
    expect((await call("/v1/me", { token: user.accessToken })).status).toBe(200);
  });

  it("needs a token (401) and a session, not an API key (403)", async () => {
    await expectProblem(await call("/v1/me", { method: "PATCH", body: {} }), 401, "UNAUTHENTICATED");
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write", "ai"]);
    await expectProblem(
      await call("/v1/me", { method: "PATCH", token: key.key, body: {} }),
      403,
      "FORBIDDEN",
    );
  });
});
