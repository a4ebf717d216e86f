import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { type ApiScope, apiScopes } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { users } from "../../src/db/schema/index.ts";
import type { AuthContext } from "../../src/hono-env.ts";
import { protect, requireScope } from "../../src/middleware/auth.ts";
import {
  buildRequest,
  call,
  createKey,
  edgeEnv,
  expectProblem,
  registerAdmin,
  registerUser,
  type TestUser,
  testDb,
} from "../harness.ts";

/** The real app plus one probe route per scope that answers with the auth context it saw. */
function appWithProbes() {
  const app = createApp();
  apiScopes.forEach((scope, i) => {
    app.use(`/test/scope/${i}`, ...protect(requireScope(scope)));
    app.get(`/test/scope/${i}`, (c) => c.json(c.get("auth")));
  });
  return app;
}

async function probe(scope: ApiScope, token: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await appWithProbes().fetch(
    buildRequest(`/test/scope/${apiScopes.indexOf(scope)}`, { token }),
    edgeEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

async function allowedScopes(token: string): Promise<ApiScope[]> {
  const allowed: ApiScope[] = [];
  for (const scope of apiScopes) {
    const res = await probe(scope, token);
    if (res.status === 200) allowed.push(scope);
    else await expectProblem(res, 403, "FORBIDDEN");
  }
  return allowed;
}

describe.concurrent("auth context and requireScope", () => {
  it("gives a signed-in user every scope but admin", async () => {
    const user = await registerUser();
    expect(await allowedScopes(user.accessToken)).toEqual(["entries:read", "entries:write", "ai"]);
    const auth = await (await probe("ai", user.accessToken)).json<AuthContext>();
    expect(auth).toEqual({
      userId: user.id,
      role: "user",
      via: "jwt",
      scopes: ["entries:read", "entries:write", "ai"],
      timezone: "UTC",
      // A token from a password sign-in says when the password was checked.
      authTime: expect.any(Number),
    });
  });

  it("gives an admin the admin scope too", async () => {
    const admin = await registerAdmin();
    expect(await allowedScopes(admin.accessToken)).toEqual([...apiScopes]);
  });

  it("limits an API key to its own scopes, with a WWW-Authenticate naming the missing one", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read"]);
    expect(await allowedScopes(key.key)).toEqual(["entries:read"]);
    const res = await probe("entries:write", key.key);
    expect(res.headers.get("WWW-Authenticate")).toContain(
      'error="insufficient_scope", scope="entries:write"',
    );
    const auth = await (await probe("entries:read", key.key)).json<AuthContext>();
    expect(auth).toEqual({
      userId: user.id,
      role: "user",
      via: "api_key",
      apiKeyId: key.id,
      scopes: ["entries:read"],
      timezone: "UTC",
    });
  });

  it("takes the admin scope away from a key whose owner is no longer an admin", async () => {
    const admin: TestUser = await registerAdmin();
    const key = await createKey(admin, ["admin", "ai"]);
    expect(await allowedScopes(key.key)).toEqual(["ai", "admin"]);
    await testDb().update(users).set({ role: "user" }).where(eq(users.id, admin.id));
    // Role changes reach the auth cache within its TTL; logout-all publishes the new state at once.
    expect((await call("/v1/auth/logout-all", { method: "POST", token: admin.accessToken })).status).toBe(
      204,
    );
    expect(await allowedScopes(key.key)).toEqual(["ai"]);
  });

  it("answers 401 before any scope check when there is no token", async () => {
    await expectProblem(await probe("ai", ""), 401, "UNAUTHENTICATED");
  });
});
