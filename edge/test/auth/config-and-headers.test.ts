import { describe, expect, it, vi } from "vitest";
import { call, callWithEnv, edgeEnv, expectProblem } from "../harness.ts";

describe("configuration", () => {
  /** Runs a request with broken bindings and answers the problem and what the Worker logged. */
  async function misconfigured(overrides: Parameters<typeof callWithEnv>[0]) {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await callWithEnv(overrides, "/v1/me");
      const problem = await expectProblem(res, 500, "BAD_ENVIRONMENT");
      return { problem, log: logged.mock.calls.map((args) => args.join(" ")).join("\n") };
    } finally {
      logged.mockRestore();
    }
  }

  it("answers 500 BAD_ENVIRONMENT generically and logs which setting is wrong, never its value", async () => {
    const { problem, log } = await misconfigured({ JWT_SECRET: "changeme" });
    expect(problem.detail).toBe("The server is misconfigured.");
    expect(log).toContain("JWT_SECRET");
    expect(log).not.toContain("changeme");
  });

  it("refuses a previous JWT key equal to the current one, and malformed CORS origins", async () => {
    const secret = "Zq8#mK2$vL9@pX4!nR7&wT1*yU6^bE3%";
    const same = await misconfigured({ JWT_SECRET: secret, JWT_PREVIOUS_SECRET: secret });
    expect(same.problem.detail).not.toContain("JWT_PREVIOUS_SECRET");
    expect(same.log).toContain("JWT_PREVIOUS_SECRET");
    const cors = await misconfigured({ CORS_ORIGINS: "*" });
    expect(cors.problem.detail).not.toContain("CORS_ORIGINS");
    expect(cors.log).toContain("CORS_ORIGINS");
  });

  it("refuses to run without a strong password pepper, or with a rotation it cannot tell apart", async () => {
    const missing = await misconfigured({ PASSWORD_PEPPER: undefined });
    expect(missing.problem.detail).toBe("The server is misconfigured.");
    expect(missing.log).toContain("PASSWORD_PEPPER");
    const short = await misconfigured({ PASSWORD_PEPPER: "pepper-too-short-123" });
    expect(short.log).toContain("PASSWORD_PEPPER");
    expect(short.log).not.toContain("pepper-too-short-123");
    const pepper = "Hq3#vN8$kP1@zR6!mW9&tY4*cJ2^fL7%";
    const same = await misconfigured({
      PASSWORD_PEPPER: pepper,
      PASSWORD_PEPPER_VERSION: "2",
      PASSWORD_PREVIOUS_PEPPER: pepper,
    });
    expect(same.log).toContain("PASSWORD_PREVIOUS_PEPPER");
    // A previous pepper needs a raised version, or old and new hashes would carry the same one.
    const notRaised = await misconfigured({ PASSWORD_PREVIOUS_PEPPER: pepper, PASSWORD_PEPPER_VERSION: "1" });
    expect(notRaised.log).toContain("PASSWORD_PEPPER_VERSION");
  });

  it("refuses to run without DATA_ROOT_KEYS, or with a weak or malformed one, never logging it", async () => {
    const missing = await misconfigured({ DATA_ROOT_KEYS: undefined });
    expect(missing.problem.detail).toBe("The server is misconfigured.");
    expect(missing.log).toContain("DATA_ROOT_KEYS");
    const zeros = `v1:${btoa(String.fromCharCode(...new Uint8Array(32)))}`;
    const weak = await misconfigured({ DATA_ROOT_KEYS: zeros });
    expect(weak.log).toContain("DATA_ROOT_KEYS");
    expect(weak.log).not.toContain(zeros.slice(3));
    const short = "v1:c2hvcnQta2V5LW9mLXR3ZW50eS1ieXRlcw";
    const malformed = await misconfigured({ DATA_ROOT_KEYS: short });
    expect(malformed.log).toContain("DATA_ROOT_KEYS");
    expect(malformed.log).not.toContain(short.slice(3));
    const unversioned = await misconfigured({ DATA_ROOT_KEYS: edgeEnv.DATA_ROOT_KEYS?.replace(/^v1:/, "") });
    expect(unversioned.log).toContain("DATA_ROOT_KEYS");
  });

  it("refuses a current version that names no listed key", async () => {
    const wrong = await misconfigured({ DATA_ROOT_KEY_VERSION: "2" });
    expect(wrong.log).toContain("DATA_ROOT_KEY_VERSION");
  });
});

describe.concurrent("CORS", () => {
  const origins = { CORS_ORIGINS: "https://app.example.com, http://localhost:5173" };

  it("allows no origin by default", async () => {
    const res = await call("/v1/me", { headers: { Origin: "https://app.example.com" } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers a preflight from a configured origin, and only that origin", async () => {
    const preflight = (origin: string) =>
      callWithEnv(origins, "/v1/auth/login", {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type,authorization",
        },
      });
    const allowed = await preflight("https://app.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
    const denied = await preflight("https://evil.example");
    expect(denied.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("exposes the rate-limit and request-id headers to allowed origins, on errors too", async () => {
    const res = await callWithEnv(origins, "/v1/me", { headers: { Origin: "http://localhost:5173" } });
    await expectProblem(res, 401, "UNAUTHENTICATED");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("http://localhost:5173");
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("RateLimit-Remaining");
  });
});

describe.concurrent("security headers", () => {
  it("are set on answers and on problems", async () => {
    for (const res of [await call("/health"), await call("/v1/me")]) {
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("X-Frame-Options")).toBe("SAMEORIGIN");
      expect(res.headers.get("Strict-Transport-Security")).toMatch(/max-age=/);
      await res.body?.cancel();
    }
  });

  it("lists the new routes in the OpenAPI document", async () => {
    const doc = await (await call("/openapi.json")).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    for (const path of [
      "/v1/auth/register",
      "/v1/auth/login",
      "/v1/auth/refresh",
      "/v1/auth/logout",
      "/v1/auth/logout-all",
      "/v1/me",
      "/v1/me/password",
      "/v1/api-keys",
      "/v1/api-keys/{id}",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(Object.keys(doc.paths["/v1/me"] ?? {}).sort()).toEqual(["delete", "get", "patch"]);
  });
});

describe.concurrent("Cache-Control", () => {
  it("is no-store on answers that carry tokens or journal text", async () => {
    const register = await call("/v1/auth/register", {
      body: { email: `user-${crypto.randomUUID()}@example.test`, password: "a-long-password-1" },
    });
    expect(register.status).toBe(201);
    expect(register.headers.get("Cache-Control")).toBe("no-store");
    const { accessToken } = (await register.json()) as { accessToken: string };
    const created = await call("/v1/entries", { token: accessToken, body: { content: "Private words." } });
    expect(created.headers.get("Cache-Control")).toBe("no-store");
    const { id } = (await created.json()) as { id: string };
    for (const path of [`/v1/entries/${id}`, "/v1/entries", "/v1/search?q=private&mode=keyword", "/v1/me"]) {
      const res = await call(path, { token: accessToken });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Cache-Control"), path).toBe("no-store");
    }
    const problem = await call("/v1/me");
    expect(problem.headers.get("Cache-Control")).toBe("no-store");
  });
});
