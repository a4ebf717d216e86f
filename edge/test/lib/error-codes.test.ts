import { describe, expect, it } from "vitest";
import { errorCodes } from "../../src/lib/problem.ts";

describe("errorCodes", () => {
  it("names the codes along the cause chain and never the messages", () => {
    const postgres = Object.assign(new Error("duplicate key (email)=(someone@example.test)"), {
      name: "PostgresError",
      code: "23505",
    });
    const wrapped = new Error("Failed query: insert ... params: someone@example.test", { cause: postgres });
    const logged = errorCodes(wrapped);
    expect(logged).toEqual({ code: "23505", cause: "PostgresError" });
    expect(JSON.stringify(logged)).not.toContain("example.test");
  });

  it("keeps a driver code and skips a code that could carry data", () => {
    expect(errorCodes(Object.assign(new Error("x"), { code: "CONNECT_TIMEOUT" }))).toEqual({
      code: "CONNECT_TIMEOUT",
    });
    expect(errorCodes(Object.assign(new Error("x"), { code: "user@example.test" }))).toEqual({});
    expect(errorCodes("a string")).toEqual({});
  });
});

describe("a transaction still contended after its retries", () => {
  it("answers 503 SERVICE_UNAVAILABLE with Retry-After, never 500", async () => {
    const { Hono } = await import("hono");
    const { problemResponse } = await import("../../src/lib/problem.ts");
    const deadlock = Object.assign(new Error("deadlock detected"), { name: "PostgresError", code: "40P01" });
    const app = new Hono();
    app.get("/", () => {
      throw new Error("Failed query: delete from users ...", { cause: deadlock });
    });
    app.onError((err, c) => problemResponse(c as never, err));
    const res = await app.request("/");
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });
});
