import { describe, expect, it } from "vitest";
import {
  call,
  expectProblem,
  expectValidationPaths,
  newPassword,
  registerUser,
  uniqueEmail,
} from "../harness.ts";

const jsonRoutes: { path: string; method: string; auth: boolean }[] = [
  { path: "/v1/auth/register", method: "POST", auth: false },
  { path: "/v1/auth/login", method: "POST", auth: false },
  { path: "/v1/auth/refresh", method: "POST", auth: false },
  { path: "/v1/auth/logout", method: "POST", auth: false },
  { path: "/v1/me", method: "PATCH", auth: true },
  { path: "/v1/me/password", method: "POST", auth: true },
  { path: "/v1/api-keys", method: "POST", auth: true },
];

describe.concurrent("hostile request bodies get a clear problem, never a 500", () => {
  it("malformed JSON → 400 VALIDATION_FAILED on every JSON route", async () => {
    const user = await registerUser();
    for (const route of jsonRoutes) {
      const res = await call(route.path, {
        method: route.method,
        body: '{"email": "a@b.c", ',
        ...(route.auth ? { token: user.accessToken } : {}),
      });
      const problem = await expectProblem(res, 400, "VALIDATION_FAILED");
      expect(problem.detail, route.path).toMatch(/JSON/);
    }
  });

  it("a body that is not JSON → 415 UNSUPPORTED_MEDIA_TYPE on every JSON route", async () => {
    const user = await registerUser();
    for (const route of jsonRoutes) {
      for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
        const res = await call(route.path, {
          method: route.method,
          body: "email=a@b.c&password=0123456789",
          headers: { "Content-Type": contentType },
          ...(route.auth ? { token: user.accessToken } : {}),
        });
        await expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE");
      }
    }
  });

  it("a body over 256 KiB → 413 PAYLOAD_TOO_LARGE, before anything else looks at it", async () => {
    const huge = JSON.stringify({ email: uniqueEmail(), password: "p".repeat(300 * 1024) });
    await expectProblem(await call("/v1/auth/register", { body: huge }), 413, "PAYLOAD_TOO_LARGE");
    await expectProblem(await call("/v1/auth/login", { body: huge }), 413, "PAYLOAD_TOO_LARGE");
  });

  it("JSON that is not an object, or has the wrong types → 400 naming the fields", async () => {
    for (const body of ["[]", "null", '"text"', "42"]) {
      await expectProblem(await call("/v1/auth/login", { body }), 400, "VALIDATION_FAILED");
    }
    const paths = await expectValidationPaths(
      await call("/v1/auth/register", { body: { email: 42, password: ["x"], timezone: {} } }),
    );
    expect([...new Set(paths)].sort()).toEqual(["email", "password", "timezone"]);
  });

  it("absurdly long and unicode emails are refused as invalid, not crashed on", async () => {
    const long = `${"a".repeat(10_000)}@example.test`;
    expect(
      await expectValidationPaths(
        await call("/v1/auth/register", { body: { email: long, password: newPassword() } }),
      ),
    ).toContain("email");
    expect(
      await expectValidationPaths(await call("/v1/auth/login", { body: { email: long, password: "x" } })),
    ).toEqual(["email"]);
    const unicode = await call("/v1/auth/register", {
      body: { email: "zoë@exämple.test", password: newPassword() },
    });
    expect(await expectValidationPaths(unicode)).toEqual(["email"]);
  });

  it("SQL-looking and unicode input is treated as data", async () => {
    const injection = "' OR '1'='1'; DROP TABLE users; --";
    await expectProblem(
      await call("/v1/auth/login", { body: { email: `${injection}@x.test`, password: injection } }),
      401,
      "UNAUTHENTICATED",
    );
    await expectProblem(
      await call("/v1/auth/login", { body: { email: injection, password: "🔐".repeat(300) } }),
      401,
      "UNAUTHENTICATED",
    );
    const password = "pässwörd-🔐-日本語-\u0000-end";
    const email = uniqueEmail();
    const res = await call("/v1/auth/register", { body: { email, password, displayName: injection } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ user: { displayName: injection } });
    expect((await call("/v1/auth/login", { body: { email, password } })).status).toBe(200);
  });
});
