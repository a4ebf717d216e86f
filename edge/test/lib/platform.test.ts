import { InkwellError } from "@inkwell/shared";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppEnv } from "../../src/hono-env.ts";
import { afterResponse } from "../../src/lib/after-response.ts";
import { idOr404, isUuid } from "../../src/lib/ids.ts";
import { log } from "../../src/lib/log.ts";
import { problemResponse } from "../../src/lib/problem.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** What the runtime would keep alive after the response, collected so a test can wait for it. */
function executionContext() {
  const pending: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (promise: Promise<unknown>) => {
      pending.push(promise);
    },
    passThroughOnException: () => {},
    props: {},
  };
  return { ctx: ctx as unknown as ExecutionContext, pending };
}

describe("the edge's logger", () => {
  it("writes one JSON line per event: level, message, then the fields given, on the level's console stream", () => {
    const info = vi.spyOn(console, "log").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    log.info("job result", { jobId: "j1", outcome: "applied", skipped: undefined });
    log.warn("rate limiter unavailable", { policy: "signIn" });
    log.error("bad environment", { problems: ["JWT_SECRET: is missing"] });
    expect(info.mock.calls).toEqual([
      ['{"level":"info","msg":"job result","jobId":"j1","outcome":"applied"}'],
    ]);
    expect(warn.mock.calls).toEqual([
      ['{"level":"warn","msg":"rate limiter unavailable","policy":"signIn"}'],
    ]);
    expect(error.mock.calls).toEqual([
      ['{"level":"error","msg":"bad environment","problems":["JWT_SECRET: is missing"]}'],
    ]);
  });
});

describe("work after the response", () => {
  it("answers without waiting for it, and logs a failure by the error's name, never its message", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    let fail: (err: Error) => void = () => {};
    const work = new Promise<void>((_, reject) => {
      fail = reject;
    });
    const app = new Hono<AppEnv>();
    app.get("/", (c) => {
      c.set("requestId", "req-1");
      afterResponse(c, "sign-in not recorded", work);
      return c.text("done");
    });
    const { ctx, pending } = executionContext();

    const res = await app.request("/", {}, {}, ctx);
    expect(await res.text()).toBe("done");
    expect(pending).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();

    fail(
      Object.assign(new Error("insert failed: params dear diary, I feel awful"), { name: "PostgresError" }),
    );
    await Promise.all(pending);
    expect(warn.mock.calls).toEqual([
      ['{"level":"warn","msg":"sign-in not recorded","requestId":"req-1","error":"PostgresError"}'],
    ]);
  });

  it("still runs the work when there is no execution context", async () => {
    let ran = false;
    let finished: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const app = new Hono<AppEnv>();
    app.get("/", (c) => {
      afterResponse(
        c,
        "not run",
        Promise.resolve().then(() => {
          ran = true;
          finished();
        }),
      );
      return c.text("done");
    });
    expect((await app.request("/")).status).toBe(200);
    await done;
    expect(ran).toBe(true);
  });
});

describe("id parameters", () => {
  it("an id that cannot be one of ours is simply not found, with the route's message", async () => {
    const app = new Hono<AppEnv>();
    app.get("/things/:id", (c) => c.json({ id: idOr404(c.req.param("id"), "No thing with that id.") }));
    app.onError((err, c) => problemResponse(c, err));
    const id = "0193a3c4-7b1e-7c2d-9f00-123456789abc";

    const found = await app.request(`/things/${id}`);
    expect(await found.json()).toEqual({ id });
    const malformed = await app.request("/things/not-an-id");
    expect(malformed.status).toBe(404);
    expect(await malformed.json()).toMatchObject({ code: "NOT_FOUND", detail: "No thing with that id." });
  });

  it("recognises the UUIDs the edge hands out, in either case, and nothing around them", () => {
    expect(isUuid("0193A3C4-7B1E-7C2D-9F00-123456789ABC")).toBe(true);
    expect(isUuid(" 0193a3c4-7b1e-7c2d-9f00-123456789abc")).toBe(false);
    expect(isUuid("0193a3c47b1e7c2d9f00123456789abc")).toBe(false);
    expect(() => idOr404("", "No entry with that id.")).toThrow(InkwellError);
  });
});
