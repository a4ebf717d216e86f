import { hashToken, randomToken, uuidv7 } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { apiKeys } from "../../src/db/schema/index.ts";
import type { Env } from "../../src/env.ts";
import { callWithEnv, expectProblem, randomIp, registerUser, testDb } from "../harness.ts";
import { heartbeat } from "../pipeline/helpers.ts";

/** A small budget, so a test spends it in a few requests. */
const BUDGET = 3;
const smallBudget: Partial<Record<keyof Env, string>> = {
  RATE_LIMIT_AUTH_FAILURES_PER_10_MINUTES: String(BUDGET),
};

const unknownKey = () => `ik_${randomToken(32)}`;

describe.concurrent("failed authentications per client address", () => {
  it("unknown API keys from one address get 429 once its budget is spent; other addresses and sessions do not", async () => {
    const ip = randomIp();
    for (let i = 0; i < BUDGET; i++) {
      await expectProblem(
        await callWithEnv(smallBudget, "/v1/entries", { token: unknownKey(), ip }),
        401,
        "UNAUTHENTICATED",
      );
    }
    const refused = await callWithEnv(smallBudget, "/v1/entries", { token: unknownKey(), ip });
    await expectProblem(refused, 429, "RATE_LIMITED");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Still refused before any lookup while the window lasts.
    await expectProblem(
      await callWithEnv(smallBudget, "/v1/entries", { token: unknownKey(), ip }),
      429,
      "RATE_LIMITED",
    );

    // Another address has its own budget; a signed-in session from the same address is not held up.
    await expectProblem(
      await callWithEnv(smallBudget, "/v1/entries", { token: unknownKey(), ip: randomIp() }),
      401,
      "UNAUTHENTICATED",
    );
    const user = await registerUser();
    expect((await callWithEnv(smallBudget, "/v1/me", { token: user.accessToken, ip })).status).toBe(200);
  });

  it("malformed keys cost no lookup and are not counted", async () => {
    const ip = randomIp();
    for (let i = 0; i < BUDGET + 2; i++) {
      await expectProblem(
        await callWithEnv(smallBudget, "/v1/entries", { token: "ik_short", ip }),
        401,
        "UNAUTHENTICATED",
      );
    }
  });

  it("bogus node heartbeat tokens from one address get 429 once its budget is spent", async () => {
    const ip = randomIp();
    for (let i = 0; i < BUDGET; i++) {
      await expectProblem(
        await callWithEnv(smallBudget, "/internal/nodes/heartbeat", {
          token: randomToken(32),
          body: heartbeat(),
          ip,
        }),
        401,
        "UNAUTHENTICATED",
      );
    }
    await expectProblem(
      await callWithEnv(smallBudget, "/internal/nodes/heartbeat", {
        token: randomToken(32),
        body: heartbeat(),
        ip,
      }),
      429,
      "RATE_LIMITED",
    );
  });

  it("an unknown API key's answer is cached: presenting it again does not ask Postgres", async () => {
    const user = await registerUser();
    const key = unknownKey();
    const ip = randomIp();
    await expectProblem(await callWithEnv({}, "/v1/entries", { token: key, ip }), 401, "UNAUTHENTICATED");
    // The same key appears in Postgres behind the cache's back (no API route could do this: keys are
    // random and creating one tells the cache). Within the cache's minute the cached answer stands.
    await testDb()
      .insert(apiKeys)
      .values({
        id: uuidv7(),
        userId: user.id,
        name: "planted",
        prefix: key.slice(0, 11),
        keyHash: await hashToken(key),
        scopes: ["entries:read"],
      });
    await expectProblem(await callWithEnv({}, "/v1/entries", { token: key, ip }), 401, "UNAUTHENTICATED");
  });
});
