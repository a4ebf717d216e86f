import { problemSchema } from "@inkwell/shared";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import type { Config } from "../src/config.ts";
import { fakeRuntime } from "./helpers/fake-runtime.ts";
import { randomSigningKey, signLikeQstash } from "./helpers/qstash-signer.ts";
import { testConfig } from "./helpers/test-config.ts";

const hardware = {
  cpu: { model: "test", cores: 4, arch: "x64" },
  memory: { totalMiB: 16_384, freeMiB: 8_192 },
  cuda: { available: false, reason: "test", gpus: [] },
  device: "cpu" as const,
};
const ECHO_URL = "http://node.test:8788/jobs/echo";

let app: FastifyInstance;
let config: Config;
beforeEach(async () => {
  config = testConfig();
  app = await buildApp(config, { hardware, runtime: fakeRuntime() });
});
afterEach(async () => {
  await app.close();
});

const job = JSON.stringify({ jobId: "job_1", kind: "echo", payload: { text: "dear diary ✍️" } });

function deliver(body: string, signature: string | undefined, headers: Record<string, string> = {}) {
  return app.inject({
    method: "POST",
    url: "/jobs/echo",
    headers: {
      "content-type": "application/json",
      ...(signature === undefined ? {} : { "upstash-signature": signature }),
      ...headers,
    },
    payload: body,
  });
}

function expectProblem(response: Awaited<ReturnType<typeof deliver>>, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  const problem = problemSchema.parse(response.json());
  expect(problem.code).toBe(code);
  expect(problem.requestId).toBe(response.headers["x-request-id"]);
  return problem;
}

describe("POST /jobs/echo signature checks", () => {
  it("accepts a delivery signed with the current key", async () => {
    const signature = signLikeQstash({ key: config.qstash.currentSigningKey, url: ECHO_URL, body: job });
    const response = await deliver(job, signature, { "x-request-id": "req_from_edge" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-request-id"]).toBe("req_from_edge");
    expect(response.json()).toEqual({
      ok: true,
      jobId: "job_1",
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      bytes: Buffer.byteLength(job),
    });
  });

  it("accepts a delivery signed with the next key (key rotation)", async () => {
    const signature = signLikeQstash({ key: config.qstash.nextSigningKey, url: ECHO_URL, body: job });
    expect((await deliver(job, signature)).statusCode).toBe(200);
  });

  it("rejects a forged signature made with another key", async () => {
    const signature = signLikeQstash({ key: randomSigningKey(), url: ECHO_URL, body: job });
    expectProblem(await deliver(job, signature), 401, "UNAUTHENTICATED");
  });

  it("rejects a valid signature over a different body", async () => {
    const signature = signLikeQstash({ key: config.qstash.currentSigningKey, url: ECHO_URL, body: job });
    const tampered = job.replace("job_1", "job_2");
    expectProblem(await deliver(tampered, signature), 401, "UNAUTHENTICATED");
  });

  it("rejects a signature made for another URL", async () => {
    const signature = signLikeQstash({
      key: config.qstash.currentSigningKey,
      url: "http://someone-else.test:8788/jobs/echo",
      body: job,
    });
    expectProblem(await deliver(job, signature), 401, "UNAUTHENTICATED");
  });

  it("rejects a signature for another path on this node", async () => {
    const signature = signLikeQstash({
      key: config.qstash.currentSigningKey,
      url: "http://node.test:8788/jobs/analyze",
      body: job,
    });
    expectProblem(await deliver(job, signature), 401, "UNAUTHENTICATED");
  });

  it("rejects an expired signature", async () => {
    const signature = signLikeQstash({
      key: config.qstash.currentSigningKey,
      url: ECHO_URL,
      body: job,
      expiresIn: -120,
    });
    expectProblem(await deliver(job, signature), 401, "UNAUTHENTICATED");
  });

  it("rejects a token not issued by Upstash", async () => {
    const signature = signLikeQstash({
      key: config.qstash.currentSigningKey,
      url: ECHO_URL,
      body: job,
      issuer: "Mallory",
    });
    expectProblem(await deliver(job, signature), 401, "UNAUTHENTICATED");
  });

  it("rejects a delivery without the Upstash-Signature header", async () => {
    const problem = expectProblem(await deliver(job, undefined), 401, "UNAUTHENTICATED");
    expect(problem.detail).toMatch(/missing/);
  });

  it("rejects garbage in the header", async () => {
    expectProblem(await deliver(job, "not-a-jwt"), 401, "UNAUTHENTICATED");
  });

  it("checks the signature before the content type", async () => {
    const response = await deliver("hello", "not-a-jwt", { "content-type": "text/plain" });
    expectProblem(response, 401, "UNAUTHENTICATED");
  });
});

describe("POST /jobs/echo body checks (after a valid signature)", () => {
  const sign = (body: string) =>
    signLikeQstash({ key: config.qstash.currentSigningKey, url: ECHO_URL, body });

  it("rejects a body that is not JSON", async () => {
    const body = "{not json";
    const problem = expectProblem(await deliver(body, sign(body)), 400, "VALIDATION_FAILED");
    expect(problem.detail).toMatch(/not valid JSON/);
  });

  it("rejects JSON that does not match the job schema, listing the fields", async () => {
    const body = JSON.stringify({ kind: 7 });
    const problem = expectProblem(await deliver(body, sign(body)), 400, "VALIDATION_FAILED");
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(["jobId", "kind"]);
  });

  it("rejects a non-JSON content type", async () => {
    const body = "jobId=1";
    const response = await deliver(body, sign(body), { "content-type": "application/x-www-form-urlencoded" });
    expectProblem(response, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("accepts a JSON content type with a charset", async () => {
    const response = await deliver(job, sign(job), { "content-type": "application/json; charset=utf-8" });
    expect(response.statusCode).toBe(200);
  });
});

describe("public URL with a path prefix", () => {
  it("binds signatures to the prefixed URL a reverse proxy exposes", async () => {
    const prefixed = testConfig({ NODE_PUBLIC_URL: "https://gpu.home.example/inkwell/" });
    const prefixedApp = await buildApp(prefixed, { hardware, runtime: fakeRuntime() });
    try {
      const signature = signLikeQstash({
        key: prefixed.qstash.currentSigningKey,
        url: "https://gpu.home.example/inkwell/jobs/echo",
        body: job,
      });
      const response = await prefixedApp.inject({
        method: "POST",
        url: "/jobs/echo",
        headers: { "content-type": "application/json", "upstash-signature": signature },
        payload: job,
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await prefixedApp.close();
    }
  });
});
