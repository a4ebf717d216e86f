import { describe, expect, it } from "vitest";
import {
  errorCodes,
  errorStatus,
  InkwellError,
  makeProblem,
  problemSchema,
  problemType,
} from "../src/errors.ts";

describe("error codes", () => {
  it("maps every code to an HTTP error status", () => {
    for (const code of errorCodes) {
      expect(errorStatus[code], code).toBeGreaterThanOrEqual(400);
      expect(errorStatus[code], code).toBeLessThan(600);
    }
  });

  it("uses the statuses the API contract fixes", () => {
    expect(errorStatus.VALIDATION_FAILED).toBe(400);
    expect(errorStatus.UNAUTHENTICATED).toBe(401);
    expect(errorStatus.FORBIDDEN).toBe(403);
    expect(errorStatus.ACCOUNT_DISABLED).toBe(403);
    expect(errorStatus.NOT_FOUND).toBe(404);
    expect(errorStatus.CONFLICT).toBe(409);
    expect(errorStatus.PRECONDITION_FAILED).toBe(412);
    expect(errorStatus.PAYLOAD_TOO_LARGE).toBe(413);
    expect(errorStatus.RATE_LIMITED).toBe(429);
    expect(errorStatus.BAD_ENVIRONMENT).toBe(500);
    expect(errorStatus.NO_INFERENCE_NODE).toBe(503);
    expect(errorStatus.UPSTREAM_TIMEOUT).toBe(504);
  });
});

describe("problem details", () => {
  it("builds an RFC 9457 body that the shared schema accepts", () => {
    const problem = makeProblem("VALIDATION_FAILED", "content is required", "req_1", [
      { path: "content", message: "Required" },
    ]);
    expect(problemSchema.parse(problem)).toEqual({
      type: problemType("VALIDATION_FAILED"),
      title: "The request is not valid",
      status: 400,
      code: "VALIDATION_FAILED",
      detail: "content is required",
      requestId: "req_1",
      errors: [{ path: "content", message: "Required" }],
    });
  });

  it("leaves out an empty errors list", () => {
    expect(makeProblem("NOT_FOUND", "no such entry", "req_2")).not.toHaveProperty("errors");
  });

  it("carries its status on the thrown error", () => {
    const err = new InkwellError("RATE_LIMITED", "slow down", { headers: { "Retry-After": "3" } });
    expect(err.status).toBe(429);
    expect(err.headers).toEqual({ "Retry-After": "3" });
  });
});
