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
