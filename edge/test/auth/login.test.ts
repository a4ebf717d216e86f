import { authTokensSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { LOCKOUT_THRESHOLD } from "../../src/services/accounts.ts";
import {
  call,
  expectProblem,
  expectValidationPaths,
  login,
  newPassword,
  randomIp,
  registerUser,
  uniqueEmail,
} from "../harness.ts";

/** The parts of a problem that must not differ between "no such account" and "wrong password". */
async function comparable(res: Response) {
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, body: { ...body, requestId: undefined } };
}

describe.concurrent("POST /v1/auth/login", () => {
  it("signs in with the right password, whatever the email's case", async () => {
    const user = await registerUser();
    const res = await login(user.email.toUpperCase(), user.password);
    expect(res.status).toBe(200);
    const body = authTokensSchema.parse(await res.json());
    expect(body.user.id).toBe(user.id);
    expect(body.refreshToken).not.toBe(user.refreshToken);
    expect(res.headers.get("RateLimit-Limit")).toBe("20");
    expect(res.headers.get("RateLimit-Remaining")).toBe("19");
  });

  it("answers an unknown email and a wrong password identically (401)", async () => {
    const user = await registerUser();
    const wrongPassword = await login(user.email, `${user.password}x`);
    const unknownEmail = await login(uniqueEmail(), user.password);
    const a = await comparable(wrongPassword);
    const b = await comparable(unknownEmail);
    expect(a.status).toBe(401);
    expect(a).toEqual(b);
    expect(a.body).toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("validates the body without hinting at the password policy", async () => {
    expect(
      await expectValidationPaths(await call("/v1/auth/login", { body: { email: uniqueEmail() } })),
    ).toEqual(["password"]);
    // A too-short password is simply wrong, not a validation error that would reveal the rule.
    await expectProblem(await login(uniqueEmail(), "short"), 401, "UNAUTHENTICATED");
  });

  it(`locks the account after ${LOCKOUT_THRESHOLD} failures, even against the right password (423)`, async () => {
    const user = await registerUser();
    // From many addresses at once: the lock is per account, whatever the attacker's addresses.
    const failures = await Promise.all(
      Array.from({ length: LOCKOUT_THRESHOLD - 1 }, (_, i) =>
        login(user.email, `wrong-${i}-password`, randomIp()),
      ),
    );
    for (const res of failures) await expectProblem(res, 401, "UNAUTHENTICATED");
    const locking = await login(user.email, "wrong-last-password");
    await expectProblem(locking, 423, "LOCKED");
    const res = await login(user.email, user.password);
    const problem = await expectProblem(res, 423, "LOCKED");
    expect(problem.detail).toMatch(/locked/);
    const retryAfter = Number(res.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
  });

  it("lets no more than the threshold's guesses through when they arrive all at once", async () => {
    const user = await registerUser();
    const answers = await Promise.all(
      Array.from({ length: 3 * LOCKOUT_THRESHOLD }, (_, i) =>
        login(user.email, `parallel-${i}-password`, randomIp()),
      ),
    );
    const statuses = answers.map((res) => res.status);
    // Each attempt reserves its slot before the hash is checked: the first threshold-1 are checked and
    // wrong, the one that fills the last slot locks the account, and the rest are refused unchecked.
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOCKOUT_THRESHOLD - 1);
    expect(statuses.filter((s) => s === 423)).toHaveLength(2 * LOCKOUT_THRESHOLD + 1);
    await expectProblem(await login(user.email, user.password), 423, "LOCKED");
  });

  it("resets the failure count after a successful sign-in", async () => {
    const user = await registerUser();
    const failures = await Promise.all(
      Array.from({ length: LOCKOUT_THRESHOLD - 1 }, (_, i) => login(user.email, `wrong-${i}-password`)),
    );
    for (const res of failures) await expectProblem(res, 401, "UNAUTHENTICATED");
    expect((await login(user.email, user.password)).status).toBe(200);
    await expectProblem(await login(user.email, "wrong-again-password"), 401, "UNAUTHENTICATED");
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it("limits sign-in attempts per address (429 with Retry-After and RateLimit headers)", async () => {
    const ip = randomIp();
    const allowed = await Promise.all(
      Array.from({ length: 20 }, () => login(uniqueEmail(), newPassword(), ip)),
    );
    expect(allowed.map((res) => res.status)).toEqual(Array(20).fill(401));
    const remaining = allowed.map((res) => Number(res.headers.get("RateLimit-Remaining")));
    expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const res = await login(uniqueEmail(), newPassword(), ip);
    const problem = await expectProblem(res, 429, "RATE_LIMITED");
    expect(problem.detail).toMatch(/try again in \d+ seconds/);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(res.headers.get("RateLimit-Limit")).toBe("20");
    expect(res.headers.get("RateLimit-Remaining")).toBe("0");
    // Another address is not affected.
    expect((await login(uniqueEmail(), newPassword(), randomIp())).status).toBe(401);
  });

  it("counts a whole IPv6 /64 as one address", async () => {
    const prefix = randomIp().replace(/::1$/, "");
    const allowed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        login(uniqueEmail(), newPassword(), `${prefix}:${i.toString(16)}::1`),
      ),
    );
    expect(allowed.map((res) => res.status)).toEqual(Array(20).fill(401));
    await expectProblem(await login(uniqueEmail(), newPassword(), `${prefix}:ffff::2`), 429, "RATE_LIMITED");
  });
});
