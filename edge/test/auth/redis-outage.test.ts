import { describe, expect, it } from "vitest";
import {
  call,
  callWithEnv,
  createKey,
  expectProblem,
  newPassword,
  registerUser,
  uniqueEmail,
} from "../harness.ts";

/** Nothing listens on port 9 (discard): every Redis call fails fast, like an outage. */
const redisDown = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" };

describe.concurrent("when Redis is unreachable", () => {
  it("refuses sign-in and sign-up (fail closed: 503) rather than run them unmetered", async () => {
    const user = await registerUser();
    const res = await callWithEnv(redisDown, "/v1/auth/login", {
      body: { email: user.email, password: user.password },
    });
    const problem = await expectProblem(res, 503, "SERVICE_UNAVAILABLE");
    expect(problem.detail).toMatch(/rate limiter/);
    expect(res.headers.get("Retry-After")).toBe("30");
    const signUp = await callWithEnv(redisDown, "/v1/auth/register", {
      body: { email: uniqueEmail(), password: newPassword() },
    });
    await expectProblem(signUp, 503, "SERVICE_UNAVAILABLE");
  });

  it("still serves signed-in users (fail open): access tokens need no Redis", async () => {
    const user = await registerUser();
    const res = await callWithEnv(redisDown, "/v1/me", { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Limit")).toBeNull();
  });

  it("verifies API keys from Postgres", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read"]);
    expect((await callWithEnv(redisDown, "/v1/me", { token: key.key })).status).toBe(200);
  });

  it("still applies logout-all at once (Postgres holds the token version)", async () => {
    const user = await registerUser();
    expect(
      (await callWithEnv(redisDown, "/v1/auth/logout-all", { method: "POST", token: user.accessToken }))
        .status,
    ).toBe(204);
    await expectProblem(
      await callWithEnv(redisDown, "/v1/me", { token: user.accessToken }),
      401,
      "UNAUTHENTICATED",
    );
  });

  it("refuses a write carrying Idempotency-Key (503, Retry-After) rather than run it unguarded, and stores nothing", async () => {
    const user = await registerUser();
    const res = await callWithEnv(redisDown, "/v1/entries", {
      token: user.accessToken,
      body: { content: "A walk by the river before the rain." },
      headers: { "Idempotency-Key": "outage-1" },
    });
    const problem = await expectProblem(res, 503, "SERVICE_UNAVAILABLE");
    expect(problem.detail).toMatch(/Idempotency-Key/);
    expect(res.headers.get("Retry-After")).toBe("5");
    const list = await call("/v1/entries", { token: user.accessToken });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(0);
  });
});
