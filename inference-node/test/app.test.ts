import os from "node:os";
import { type Hardware, hardwareSchema, problemSchema } from "@inkwell/shared";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { createNodeState } from "../src/node-state.ts";
import { fakeRuntime } from "./helpers/fake-runtime.ts";
import { testConfig } from "./helpers/test-config.ts";

const runtime = fakeRuntime();
const fakeModels = runtime.models;

const gpuBox: Hardware = {
  cpu: { model: "AMD Ryzen 9 7950X", cores: 32, arch: "x64" },
  memory: { totalMiB: 65_536, freeMiB: 40_000 },
  cuda: {
    available: true,
    driverVersion: "550.54.15",
    gpus: [{ name: "NVIDIA GeForce RTX 4090", memoryMiB: 24_564, driverVersion: "550.54.15" }],
  },
  device: "cuda",
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe("GET /health", () => {
  it("answers ok", async () => {
    app = await buildApp(testConfig(), { runtime, hardware: gpuBox });
    const response = await app.inject({ method: "GET", url: "/health" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ok" });
  });
});

describe("GET /info", () => {
  it("reports this machine's real hardware, without CUDA here", async () => {
    app = await buildApp(testConfig(), { runtime });
    const response = await app.admin.inject({ method: "GET", url: "/info" });
    expect(response.statusCode).toBe(200);
    const info = response.json();
    const hardware = hardwareSchema.parse(info.hardware);
    expect(hardware.cpu.model).toBe(os.cpus()[0]?.model.trim());
    expect(hardware.cpu.cores).toBe(os.availableParallelism());
    expect(info).toMatchObject({ version: "0.1.0", models: fakeModels });
    expect(info.nodeId).toBeUndefined();
    expect(info.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(info.device).toBe(hardware.device);
    if (!hardware.cuda.available) {
      expect(info.device).toBe("cpu");
      expect(hardware.cuda.reason).toEqual(expect.any(String));
      expect(["cpu", "cpu-small"]).toContain(info.tier);
    }
  });

  it("reports the GPU tier, the edge-assigned id and uptime", async () => {
    let now = 1_000_000;
    const state = createNodeState(() => now);
    app = await buildApp(testConfig(), { runtime, hardware: gpuBox, state });
    state.nodeId = "node_123";
    now += 65_400;
    const response = await app.admin.inject({ method: "GET", url: "/info" });
    expect(response.json()).toMatchObject({
      nodeId: "node_123",
      device: "cuda",
      tier: "gpu",
      hardware: gpuBox,
      models: fakeModels,
      uptimeSeconds: 65,
    });
  });
});

describe("errors", () => {
  it("renders unknown routes as problem+json and echoes a sane X-Request-Id", async () => {
    app = await buildApp(testConfig(), { runtime, hardware: gpuBox });
    const response = await app.inject({
      method: "GET",
      url: "/nope?secret=1",
      headers: { "x-request-id": "req_edge-42.a:b" },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.headers["x-request-id"]).toBe("req_edge-42.a:b");
    const problem = problemSchema.parse(response.json());
    expect(problem).toEqual({
      type: "https://inkwell.dev/problems/not-found",
      title: "Not found",
      status: 404,
      code: "NOT_FOUND",
      detail: "No route for GET /nope",
      requestId: "req_edge-42.a:b",
    });
  });

  it("replaces a request id that could inject into logs or headers", async () => {
    app = await buildApp(testConfig(), { runtime, hardware: gpuBox });
    for (const bad of ["has space", "x".repeat(200), "-leading-dash", "a\u00e9b"]) {
      const response = await app.inject({ method: "GET", url: "/health", headers: { "x-request-id": bad } });
      expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("generates a request id when none is sent", async () => {
    app = await buildApp(testConfig(), { runtime, hardware: gpuBox });
    const response = await app.inject({ method: "GET", url: "/health" });
    expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("hides internal errors and their stack traces", async () => {
    app = await buildApp(testConfig(), { runtime, hardware: gpuBox });
    app.get("/boom", async () => {
      throw new Error("database password is hunter2");
    });
    const response = await app.inject({ method: "GET", url: "/boom" });
    expect(response.statusCode).toBe(500);
    const problem = problemSchema.parse(response.json());
    expect(problem.code).toBe("INTERNAL");
    expect(problem.detail).toBe("An unexpected error occurred");
    expect(response.body).not.toContain("hunter2");
    expect(response.body).not.toContain("at ");
    expect(problem.requestId).toBe(response.headers["x-request-id"]);
  });
});

describe("GET /metrics", () => {
  it("exposes Prometheus text with request counters", async () => {
    app = await buildApp(testConfig(), { runtime, hardware: gpuBox });
    await app.inject({ method: "GET", url: "/health" });
    await app.inject({ method: "GET", url: "/does-not-exist" });
    const response = await app.admin.inject({ method: "GET", url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toContain("# TYPE inkwell_node_http_requests_total counter");
    expect(response.body).toContain(
      'inkwell_node_http_requests_total{method="GET",route="/health",status_code="200"} 1',
    );
    expect(response.body).toContain(
      'inkwell_node_http_requests_total{method="GET",route="unmatched",status_code="404"} 1',
    );
    expect(response.body).toContain('inkwell_node_info{version="0.1.0",device="cuda"} 1');
    expect(response.body).toContain("process_cpu_seconds_total");
  });
});
