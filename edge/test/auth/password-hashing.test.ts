import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema/index.ts";
import {
  hashPassword,
  needsRehash,
  PASSWORD_ITERATIONS,
  PBKDF2_MAX_ITERATIONS,
  verifyPassword,
} from "../../src/lib/password.ts";
import { login, registerUser, testDb } from "../harness.ts";

describe("password hashing (PBKDF2-SHA256 in workerd)", () => {
  it("uses the most iterations Cloudflare's runtime allows (local workerd does not enforce the cap)", () => {
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    expect(PASSWORD_ITERATIONS).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS);
  });

  it("measures the CPU cost of one hash inside workerd and keeps it inside a login's budget", async () => {
    await hashPassword("warm-up-password");
    const runs = 8;
    const started = performance.now();
    for (let i = 0; i < runs; i++) await hashPassword(`measured-password-${i}`);
    const perHash = (performance.now() - started) / runs;
    console.info(JSON.stringify({ msg: "pbkdf2 cost", iterations: PASSWORD_ITERATIONS, msPerHash: perHash }));
    // Generous: CI machines are slow; the point is to notice an order-of-magnitude regression.
    expect(perHash).toBeLessThan(250);
  });

  it("salts every hash and verifies only the right password", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse batterY", a)).toBe(false);
    // The same text in another Unicode normal form is the same password.
    const composed = await hashPassword("caf\u00e9-au-lait!");
    expect(await verifyPassword("cafe\u0301-au-lait!", composed)).toBe(true);
  });

  it("refuses a stored iteration count beyond the platform cap instead of doing unbounded work", async () => {
    const stored = await hashPassword("some-password-here");
    expect(await verifyPassword("some-password-here", { ...stored, iterations: 10_000_000 })).toBe(false);
  });

  it("upgrades an old, cheaper hash on the next successful sign-in", async () => {
    const user = await registerUser();
    const db = testDb();
    const weak = await hashPassword(user.password, 1_000);
    expect(needsRehash(weak)).toBe(true);
    await db
      .update(users)
      .set({ passwordHash: weak.hash, passwordSalt: weak.salt, passwordIterations: weak.iterations })
      .where(eq(users.id, user.id));
    expect((await login(user.email, user.password)).status).toBe(200);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row?.passwordIterations).toBe(PASSWORD_ITERATIONS);
    expect(row?.passwordSalt).not.toBe(weak.salt);
    expect((await login(user.email, user.password)).status).toBe(200);
  });
});
