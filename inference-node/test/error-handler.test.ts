import { InkwellError, problemSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildApp } from "../src/app.ts";
import { toInkwellError } from "../src/plugins/error-handler.ts";
import { fakeRuntime } from "./helpers/fake-runtime.ts";
import { testConfig } from "./helpers/test-config.ts";

function statusError(message: string, statusCode: number, code: string) {
  return Object.assign(new Error(message), { statusCode, code });
}

describe("toInkwellError", () => {
  it("keeps an InkwellError as it is", () => {
    const error = new InkwellError("LOCKED", "busy");
    expect(toInkwellError(error)).toBe(error);
  });

  it("turns zod failures into VALIDATION_FAILED with field paths", () => {
    const result = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: "x" } });
    const error = toInkwellError(result.error);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.errors).toEqual([{ path: "a.b", message: expect.any(String) }]);
  });

  it("maps Fastify and plugin errors by their status", () => {
    expect(toInkwellError(statusError("too big", 413, "FST_ERR_CTP_BODY_TOO_LARGE")).code).toBe(
      "PAYLOAD_TOO_LARGE",
    );
    expect(toInkwellError(statusError("no parser", 415, "FST_ERR_CTP_INVALID_MEDIA_TYPE")).code).toBe(
      "UNSUPPORTED_MEDIA_TYPE",
    );
    const overloaded = toInkwellError(
      statusError("The inference node is overloaded", 503, "FST_UNDER_PRESSURE"),
    );
    expect(overloaded.code).toBe("SERVICE_UNAVAILABLE");
    expect(overloaded.message).toBe("The inference node is overloaded");
    expect(toInkwellError(statusError("odd", 418, "X")).code).toBe("VALIDATION_FAILED");
  });

  it("never exposes the message of an unexpected error", () => {
    const error = toInkwellError(new TypeError("cannot read secret of undefined"));
    expect(error.code).toBe("INTERNAL");
    expect(error.message).toBe("An unexpected error occurred");
    expect(toInkwellError(statusError("pool exhausted at db:5432", 500, "X")).message).toBe(
      "An unexpected error occurred",
    );
  });
});

describe("oversized deliveries", () => {
  it("are refused with 413 problem+json", async () => {
    const app = await buildApp(testConfig(), {
      runtime: fakeRuntime(),
      hardware: {
        cpu: { model: "test", cores: 4, arch: "x64" },
        memory: { totalMiB: 16_384, freeMiB: 8_192 },
        cuda: { available: false, gpus: [] },
        device: "cpu",
      },
    });
    try {
      const response = await app.inject({
        method: "POST",
        url: "/jobs/echo",
        headers: { "content-type": "application/json", "upstash-signature": "x" },
        payload: JSON.stringify({ jobId: "j", kind: "echo", payload: "x".repeat(2 * 1024 * 1024) }),
      });
      expect(response.statusCode).toBe(413);
      expect(problemSchema.parse(response.json()).code).toBe("PAYLOAD_TOO_LARGE");
    } finally {
      await app.close();
    }
  });
});
