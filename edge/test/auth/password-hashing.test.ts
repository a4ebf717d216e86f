import { randomToken } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema/index.ts";
import {
  hashPassword,
  NO_PEPPER,
  needsRehash,
  PASSWORD_ITERATIONS,
  PBKDF2_MAX_ITERATIONS,
  type Peppers,
  verifyPassword,
} from "../../src/lib/password.ts";
import { callWithEnv, edgeEnv, login, registerUser, testDb, testPeppers } from "../harness.ts";

const peppers = (): Peppers => testPeppers();

async function storedHash(userId: string) {
  const [row] = await testDb().select().from(users).where(eq(users.id, userId));
  if (!row) throw new Error("the user row is gone");
  return row;
}

/** Signs in through a Worker configured with other bindings (a rotated pepper, a different one). */
async function loginWithEnv(overrides: Parameters<typeof callWithEnv>[0], email: string, password: string) {
  return await callWithEnv(overrides, "/v1/auth/login", { body: { email, password } });
}

describe("password hashing (HMAC pepper, then PBKDF2-SHA256 in workerd)", () => {
  it("uses the most iterations Cloudflare's runtime allows (local workerd does not enforce the cap)", () => {
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    expect(PASSWORD_ITERATIONS).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS);
  });

  it("measures the CPU cost of one hash inside workerd and keeps it inside a login's budget", async () => {
    await hashPassword("warm-up-password", peppers());
    const runs = 8;
    const started = performance.now();
    for (let i = 0; i < runs; i++) await hashPassword(`measured-password-${i}`, peppers());
    const perHash = (performance.now() - started) / runs;
    console.info(JSON.stringify({ msg: "pbkdf2 cost", iterations: PASSWORD_ITERATIONS, msPerHash: perHash }));
    // Generous: CI machines are slow; the point is to notice an order-of-magnitude regression.
    expect(perHash).toBeLessThan(250);
  });

  it("salts every hash and verifies only the right password", async () => {
    const a = await hashPassword("correct horse battery", peppers());
    const b = await hashPassword("correct horse battery", peppers());
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(await verifyPassword("correct horse battery", a, peppers())).toBe(true);
    expect(await verifyPassword("correct horse batterY", a, peppers())).toBe(false);
    // The same text in another Unicode normal form is the same password.
    const composed = await hashPassword("caf\u00e9-au-lait!", peppers());
    expect(await verifyPassword("cafe\u0301-au-lait!", composed, peppers())).toBe(true);
  });

  it("refuses a stored iteration count beyond the platform cap instead of doing unbounded work", async () => {
    const stored = await hashPassword("some-password-here", peppers());
    expect(await verifyPassword("some-password-here", { ...stored, iterations: 10_000_000 }, peppers())).toBe(
      false,
    );
  });

  it("upgrades an old, cheaper hash on the next successful sign-in", async () => {
    const user = await registerUser();
    const weak = await hashPassword(user.password, peppers(), 1_000);
    expect(needsRehash(weak, peppers())).toBe(true);
    await testDb()
      .update(users)
      .set({ passwordHash: weak.hash, passwordSalt: weak.salt, passwordIterations: weak.iterations })
      .where(eq(users.id, user.id));
    expect((await login(user.email, user.password)).status).toBe(200);
    const row = await storedHash(user.id);
    expect(row.passwordIterations).toBe(PASSWORD_ITERATIONS);
    expect(row.passwordSalt).not.toBe(weak.salt);
    expect((await login(user.email, user.password)).status).toBe(200);
  });
});

describe("the password pepper", () => {
  it("stores the pepper's version with every new hash", async () => {
    const user = await registerUser();
    expect((await storedHash(user.id)).passwordPepperVersion).toBe(peppers().current.version);
  });

  it("still accepts a hash from before the pepper, and rehashes it with the pepper at sign-in", async () => {
    const user = await registerUser();
    const unpeppered = await hashPassword(user.password, { current: { version: NO_PEPPER, secret: "" } });
    // NO_PEPPER means no HMAC at all: what the Worker stored before the pepper existed.
    expect(unpeppered.pepperVersion).toBe(NO_PEPPER);
    await testDb()
      .update(users)
      .set({ passwordHash: unpeppered.hash, passwordSalt: unpeppered.salt, passwordPepperVersion: NO_PEPPER })
      .where(eq(users.id, user.id));
    expect((await login(user.email, "not-the-password-at-all")).status).toBe(401);
    expect((await login(user.email, user.password)).status).toBe(200);
    const upgraded = await storedHash(user.id);
    expect(upgraded.passwordPepperVersion).toBe(peppers().current.version);
    expect(upgraded.passwordHash).not.toBe(unpeppered.hash);
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it("a copied users row alone does not confirm the password: without the Worker's pepper it fails", async () => {
    const user = await registerUser();
    const row = await storedHash(user.id);
    const stolen = {
      hash: row.passwordHash,
      salt: row.passwordSalt,
      iterations: row.passwordIterations,
      pepperVersion: row.passwordPepperVersion,
    };
    expect(await verifyPassword(user.password, stolen, peppers())).toBe(true);
    // An attacker with the row but not the pepper: plain PBKDF2 over the right password, or a guessed pepper.
    expect(await verifyPassword(user.password, { ...stolen, pepperVersion: NO_PEPPER }, peppers())).toBe(
      false,
    );
    const guessed: Peppers = { current: { version: stolen.pepperVersion, secret: randomToken(48) } };
    expect(await verifyPassword(user.password, stolen, guessed)).toBe(false);
    // The same database behind a Worker with another pepper does not let the right password in either.
    const otherWorker = { PASSWORD_PEPPER: randomToken(48) };
    expect((await loginWithEnv(otherWorker, user.email, user.password)).status).toBe(401);
  });

  it("rotation: the previous pepper still verifies its hashes, which are rehashed with the new version", async () => {
    const user = await registerUser();
    const before = await storedHash(user.id);
    const oldVersion = before.passwordPepperVersion;
    const rotated = {
      PASSWORD_PEPPER: randomToken(48),
      PASSWORD_PEPPER_VERSION: String(oldVersion + 1),
      PASSWORD_PREVIOUS_PEPPER: edgeEnv.PASSWORD_PEPPER ?? "",
    };
    // The new pepper alone does not know the old hashes...
    const withoutPrevious = {
      PASSWORD_PEPPER: rotated.PASSWORD_PEPPER,
      PASSWORD_PEPPER_VERSION: rotated.PASSWORD_PEPPER_VERSION,
    };
    expect((await loginWithEnv(withoutPrevious, user.email, user.password)).status).toBe(401);
    // ...with the previous one configured they verify, and the sign-in moves the hash to the new version.
    expect((await loginWithEnv(rotated, user.email, user.password)).status).toBe(200);
    const after = await storedHash(user.id);
    expect(after.passwordPepperVersion).toBe(oldVersion + 1);
    expect(after.passwordHash).not.toBe(before.passwordHash);
    expect((await loginWithEnv(withoutPrevious, user.email, user.password)).status).toBe(200);
    // A Worker still on the old pepper no longer matches the upgraded hash.
    expect((await login(user.email, user.password)).status).toBe(401);
  });
});
