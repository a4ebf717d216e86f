import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiKeys } from "../../src/db/schema/index.ts";
import { call, callWithEnv, createKey, expectProblem, registerUser, testDb } from "../harness.ts";

describe.concurrent("authenticating with an API key", () => {
  it("authenticates as the key's owner and counts every key against its owner's one budget", async () => {
    const user = await registerUser();
    // Two requests of the user's session: creating the keys.
    const keys = [await createKey(user, ["entries:read"]), await createKey(user, ["entries:read"])];
    const res = await call("/v1/me", { token: keys[0]?.key ?? "" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: user.id });
    expect(res.headers.get("RateLimit-Limit")).toBe("600");
    expect(res.headers.get("RateLimit-Remaining")).toBe("597");
    const other = await call("/v1/me", { token: keys[1]?.key ?? "" });
    expect(other.headers.get("RateLimit-Remaining")).toBe("596");
    const session = await call("/v1/me", { token: user.accessToken });
    expect(session.headers.get("RateLimit-Remaining")).toBe("595");
  });

  it("refuses unknown, malformed and expired keys (401)", async () => {
    const user = await registerUser();
    for (const token of ["ik_", `ik_${"A".repeat(43)}`, "ik_' OR 1=1 --", `ik_${"a".repeat(5000)}`]) {
      await expectProblem(await call("/v1/me", { token }), 401, "UNAUTHENTICATED");
    }
    const key = await createKey(user, ["entries:read"], {
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await testDb()
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiKeys.id, key.id));
    const problem = await expectProblem(await call("/v1/me", { token: key.key }), 401, "UNAUTHENTICATED");
    expect(problem.detail).toMatch(/expired/);
  });

  it("records lastUsedAt after the response, at most once a minute", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read"]);
    // callWithEnv waits for the request's background work, so no sleeping is needed.
    expect((await callWithEnv({}, "/v1/me", { token: key.key })).status).toBe(200);
    const [first] = await testDb().select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(first?.lastUsedAt).toBeInstanceOf(Date);
    expect((await callWithEnv({}, "/v1/me", { token: key.key })).status).toBe(200);
    const [second] = await testDb().select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(second?.lastUsedAt?.getTime()).toBe(first?.lastUsedAt?.getTime());
    const listed = await (await call("/v1/api-keys", { token: user.accessToken })).json<{
      items: { lastUsedAt: string | null }[];
    }>();
    expect(listed.items[0]?.lastUsedAt).toBe(first?.lastUsedAt?.toISOString());
  });
});
