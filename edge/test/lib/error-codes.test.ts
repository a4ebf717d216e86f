import { describe, expect, it } from "vitest";
import { errorCodes } from "../../src/lib/log.ts";

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

describe("a database restarting or out of reach", () => {
  async function answerTo(thrown: Error): Promise<Response> {
    const { Hono } = await import("hono");
    const { problemResponse } = await import("../../src/lib/problem.ts");
    const app = new Hono();
    app.get("/", () => {
      throw thrown;
    });
    app.onError((err, c) => problemResponse(c as never, err));
    return await app.request("/");
  }
  const postgresError = (code: string) =>
    Object.assign(new Error("the database system is starting up"), { name: "PostgresError", code });

  it("answers 503 SERVICE_UNAVAILABLE with Retry-After, never 500", async () => {
    const outages = [
      // Seen while Postgres restarted under load: a query wrapped by drizzle, and one thrown as is.
      new Error("Failed query: select ...", { cause: postgresError("57P03") }),
      postgresError("57P03"),
      postgresError("57P01"),
      postgresError("08006"),
      postgresError("53300"),
      Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }),
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    ];
    for (const outage of outages) {
      const res = await answerTo(outage);
      expect(res.status, outage.message).toBe(503);
      expect(res.headers.get("Retry-After")).toBe("2");
      expect(await res.json()).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    }
  });

  it("still answers 500 for a fault of ours", async () => {
    const res = await answerTo(postgresError("42703"));
    expect(res.status).toBe(500);
    await res.body?.cancel();
  });
});
