import { authTokensSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import {
  call,
  expectProblem,
  expectValidationPaths,
  newPassword,
  randomIp,
  uniqueEmail,
} from "../harness.ts";

describe.concurrent("POST /v1/auth/register", () => {
  it("creates an account, signs it in and never echoes the password", async () => {
    const email = uniqueEmail();
    const password = newPassword();
    const res = await call("/v1/auth/register", {
      body: { email, password, displayName: "Ada", timezone: "Europe/Berlin" },
    });
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain(password);
    const body = authTokensSchema.parse(JSON.parse(text));
    expect(body.user).toMatchObject({ email, displayName: "Ada", timezone: "Europe/Berlin", role: "user" });
    expect(body.expiresIn).toBe(900);
    expect(body.refreshToken).toMatch(/^rt_/);
    expect(body.accessToken.split(".")).toHaveLength(3);
    expect(res.headers.get("RateLimit-Limit")).toBe("10");
    expect(res.headers.get("RateLimit-Remaining")).toBe("9");
  });

  it("defaults the time zone to UTC and stores the email lower-cased", async () => {
    const email = uniqueEmail();
    const res = await call("/v1/auth/register", {
      body: { email: email.toUpperCase(), password: newPassword() },
    });
    expect(res.status).toBe(201);
    const body = authTokensSchema.parse(await res.json());
    expect(body.user).toMatchObject({ email, timezone: "UTC", displayName: null });
  });

  it("refuses a second account for the same email, whatever its case (409)", async () => {
    const email = uniqueEmail();
    expect((await call("/v1/auth/register", { body: { email, password: newPassword() } })).status).toBe(201);
    const again = await call("/v1/auth/register", {
      body: { email: email.toUpperCase(), password: newPassword() },
    });
    await expectProblem(again, 409, "CONFLICT");
  });

  it("names each invalid field", async () => {
    const paths = await expectValidationPaths(
      await call("/v1/auth/register", {
        body: { email: "not-an-email", password: "short", timezone: "Mars/Olympus_Mons", displayName: "" },
      }),
    );
    expect(paths.sort()).toEqual(["displayName", "email", "password", "timezone"]);
    expect(await expectValidationPaths(await call("/v1/auth/register", { body: {} }))).toEqual([
      "email",
      "password",
    ]);
  });

  it("enforces the password bounds (10 to 1024 characters)", async () => {
    const nine = await call("/v1/auth/register", { body: { email: uniqueEmail(), password: "123456789" } });
    expect(await expectValidationPaths(nine)).toEqual(["password"]);
    const huge = await call("/v1/auth/register", {
      body: { email: uniqueEmail(), password: "x".repeat(1025) },
    });
    expect(await expectValidationPaths(huge)).toEqual(["password"]);
    const ten = await call("/v1/auth/register", { body: { email: uniqueEmail(), password: "0123456789" } });
    expect(ten.status).toBe(201);
  });

  it("limits sign-ups per address (429 with Retry-After and RateLimit headers)", async () => {
    const ip = randomIp();
    // Invalid bodies still count: the limiter runs before validation.
    const invalid = await Promise.all(
      Array.from({ length: 10 }, () =>
        call("/v1/auth/register", { ip, body: { email: uniqueEmail(), password: "x" } }),
      ),
    );
    expect(invalid.map((res) => res.status)).toEqual(Array(10).fill(400));
    const res = await call("/v1/auth/register", {
      ip,
      body: { email: uniqueEmail(), password: newPassword() },
    });
    await expectProblem(res, 429, "RATE_LIMITED");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(res.headers.get("RateLimit-Limit")).toBe("10");
    expect(res.headers.get("RateLimit-Remaining")).toBe("0");
  });
});
