import { EDGE_SIGNATURE_HEADER, embedResponseSchema, problemSchema, signEdgeRequest } from "@inkwell/shared";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { deferred, fakeRuntime } from "../helpers/fake-runtime.ts";
import { randomSigningKey } from "../helpers/qstash-signer.ts";
import { loadBuiltRuntime } from "../helpers/real-runtime.ts";
import { testConfig } from "../helpers/test-config.ts";

const hardware = {
  cpu: { model: "test", cores: 2, arch: "x64" },
  memory: { totalMiB: 4096, freeMiB: 2048 },
  cuda: { available: false, reason: "test", gpus: [] },
  device: "cpu" as const,
};

let runtime: InferenceRuntime;
let app: FastifyInstance;
const nodeToken = randomSigningKey();

beforeAll(async () => {
  runtime = await loadBuiltRuntime();
  app = await buildApp(testConfig({ NODE_TOKEN: nodeToken }), { hardware, runtime });
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

async function signedEmbed(
  target: FastifyInstance,
  body: unknown,
  options: { token?: string; timestamp?: number; tamper?: boolean; signature?: string } = {},
) {
  const payload = JSON.stringify(body);
  const signature =
    options.signature ??
    (await signEdgeRequest({
      nodeToken: options.token ?? nodeToken,
      method: "POST",
      path: "/v1/embed",
      body: payload,
      ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    }));
  return {
    signature,
    response: await target.inject({
      method: "POST",
      url: "/v1/embed",
      headers: { "content-type": "application/json", [EDGE_SIGNATURE_HEADER]: signature },
      payload: options.tamper ? payload.replace("walk", "talk") : payload,
    }),
  };
}

const cosine = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * (b[i] as number), 0);

describe("POST /v1/embed", () => {
  it("embeds with the node's model: one unit vector per text, with timing headers", async () => {
    const { response } = await signedEmbed(app, {
      texts: ["I went for a walk by the sea.", "A stroll along the beach."],
    });
    expect(response.statusCode).toBe(200);
    const body = embedResponseSchema.parse(response.json());
    expect(body.model).toBe("inkwell-static-embed-100d");
    expect(body.dims).toBe(100);
    expect(body.embeddings).toHaveLength(2);
    for (const v of body.embeddings) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    expect(response.headers["server-timing"]).toMatch(/^queue;dur=[\d.]+, inference;dur=[\d.]+$/);
  });

  it("answers 64 concurrent callers each with their own vector, batched", async () => {
    const texts = Array.from(
      { length: 64 },
      (_, i) => `Entry number ${i}: ${["rain", "sun", "work", "family"][i % 4]} ${"and more ".repeat(i % 7)}`,
    );
    const [alone] = (await runtime.embed([texts[5] as string])).vectors;
    const responses = await Promise.all(texts.map((text) => signedEmbed(app, { texts: [text] })));
    const batchSizes = responses.map(({ response }) => Number(response.headers["x-batch-size"]));
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    for (const [i, { response }] of responses.entries()) {
      expect(response.statusCode).toBe(200);
      const vector = embedResponseSchema.parse(response.json()).embeddings[0] as number[];
      const [own] = (await runtime.embed([texts[i] as string])).vectors;
      expect(cosine(vector, Array.from(own as Float32Array))).toBeCloseTo(1, 4);
      if (i === 5) expect(cosine(vector, Array.from(alone as Float32Array))).toBeCloseTo(1, 4);
    }
  });

  it("refuses missing, wrong, tampered, stale and replayed signatures", async () => {
    const body = { texts: ["a walk"] };
    const unsigned = await app.inject({
      method: "POST",
      url: "/v1/embed",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(body),
    });
    expect(unsigned.statusCode).toBe(401);
    expect(problemSchema.parse(unsigned.json()).code).toBe("UNAUTHENTICATED");
    expect((await signedEmbed(app, body, { token: randomSigningKey() })).response.statusCode).toBe(401);
    expect((await signedEmbed(app, body, { tamper: true })).response.statusCode).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 120;
    expect((await signedEmbed(app, body, { timestamp: stale })).response.statusCode).toBe(401);
    expect((await signedEmbed(app, body, { signature: "t=1,v1=zz" })).response.statusCode).toBe(401);

    const first = await signedEmbed(app, body);
    expect(first.response.statusCode).toBe(200);
    const replay = await signedEmbed(app, body, { signature: first.signature });
    expect(replay.response.statusCode).toBe(401);
    expect(problemSchema.parse(replay.response.json()).detail).toContain("already received");
  });

  it("validates the body after the signature", async () => {
    const { response } = await signedEmbed(app, { texts: [] });
    expect(response.statusCode).toBe(400);
    expect(problemSchema.parse(response.json()).code).toBe("VALIDATION_FAILED");
  });

  it("refuses everything when the node has no NODE_TOKEN", async () => {
    const tokenless = await buildApp(testConfig(), { hardware, runtime });
    try {
      expect((await signedEmbed(tokenless, { texts: ["x"] })).response.statusCode).toBe(401);
    } finally {
      await tokenless.close();
    }
  });
});

describe("a full queue", () => {
  it("answers 503 with Retry-After while the model is busy, and serves again once it is not", async () => {
    const fake = fakeRuntime({ queueCapacity: 2, maxWaitMs: 0 });
    const gate = deferred();
    fake.backends.embedding.gate = gate.promise;
    const small = await buildApp(testConfig({ NODE_TOKEN: nodeToken }), { hardware, runtime: fake });
    try {
      // One caller occupies the model, the next fills the queue; the HTTP request then finds it full.
      const started = fake.backends.embedding.nextCall();
      const busy = fake.embed(["one"]);
      await started;
      const queued = fake.embed(["two two", "three three three"]);
      const refused = await signedEmbed(small, { texts: ["four"] });
      expect(refused.response.statusCode).toBe(503);
      expect(refused.response.headers["retry-after"]).toBe("1");
      expect(problemSchema.parse(refused.response.json()).code).toBe("SERVICE_UNAVAILABLE");
      const metrics = await small.admin.inject({ method: "GET", url: "/metrics" });
      expect(metrics.body).toMatch(/^inkwell_node_queue_depth 2$/m);
      gate.resolve();
      expect((await busy).vectors).toEqual([new Float32Array([1, 3])]);
      expect((await queued).vectors).toEqual([new Float32Array([2, 6]), new Float32Array([3, 15])]);
      const again = await signedEmbed(small, { texts: ["five"] });
      expect(again.response.statusCode).toBe(200);
    } finally {
      await small.close();
    }
  });
});
