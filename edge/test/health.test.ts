import { SELF } from "cloudflare:test";
import { PROBLEM_CONTENT_TYPE, problemSchema, readinessSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";

describe("GET /health", () => {
  it("answers ok without touching dependencies and carries a request id", async () => {
    const res = await SELF.fetch("http://edge.test/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_/);
  });

  it("echoes a sane client request id and replaces an unsafe one", async () => {
    const sane = await SELF.fetch("http://edge.test/health", {
      headers: { "X-Request-Id": "client-abc-12345" },
    });
    expect(sane.headers.get("X-Request-Id")).toBe("client-abc-12345");
    const unsafe = await SELF.fetch("http://edge.test/health", {
      headers: { "X-Request-Id": "<script>x</script>" },
    });
    expect(unsafe.headers.get("X-Request-Id")).toMatch(/^req_/);
  });
});

describe("GET /health/ready", () => {
  it("checks Postgres, Redis and QStash for real; with no node heartbeating it is degraded", async () => {
    const res = await SELF.fetch("http://edge.test/health/ready");
    expect(res.status).toBe(200);
    const body = readinessSchema.parse(await res.json());
    expect(body.checks.database.status).toBe("ok");
    expect(body.checks.cache.status).toBe("ok");
    expect(body.checks.queue.status).toBe("ok");
    expect(body.checks.nodes).toMatchObject({ status: "degraded", healthy: 0 });
    expect(body.status).toBe("degraded");
  });
});

describe("errors", () => {
  it("answers an unknown route with problem+json", async () => {
    const res = await SELF.fetch("http://edge.test/v1/nothing-here", {
      headers: { "X-Request-Id": "trace-0001-abc" },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("Content-Type")).toBe(PROBLEM_CONTENT_TYPE);
    const problem = problemSchema.parse(await res.json());
    expect(problem).toMatchObject({ status: 404, code: "NOT_FOUND", requestId: "trace-0001-abc" });
  });
});
