import {
  EDGE_SIGNATURE_HEADER,
  knowledgeDomainsResponseSchema,
  knowledgeSearchResponseSchema,
  knowledgeTechniquesResponseSchema,
  problemSchema,
  signEdgeRequest,
} from "@inkwell/shared";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import { loadKnowledgeCorpus } from "../../src/knowledge/corpus.ts";
import { llmRuntime } from "../../src/llm/select-backend.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { randomSigningKey } from "../helpers/qstash-signer.ts";
import { loadBuiltRuntime } from "../helpers/real-runtime.ts";
import { testConfig } from "../helpers/test-config.ts";

const hardware = {
  cpu: { model: "test", cores: 2, arch: "x64" },
  memory: { totalMiB: 4096, freeMiB: 2048 },
  cuda: { available: false, reason: "test", gpus: [] },
  device: "cpu" as const,
};
const nodeToken = randomSigningKey();
const corpus = loadKnowledgeCorpus();
let runtime: InferenceRuntime;
let app: FastifyInstance;

beforeAll(async () => {
  runtime = await loadBuiltRuntime();
  app = await buildApp(testConfig({ NODE_TOKEN: nodeToken }), {
    hardware,
    runtime,
    llm: llmRuntime(undefined, { requested: "none", timeoutMs: 1000 }),
  });
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

async function post(path: string, body: unknown, token = nodeToken) {
  const payload = JSON.stringify(body);
  const signature = await signEdgeRequest({ nodeToken: token, method: "POST", path, body: payload });
  return await app.inject({
    method: "POST",
    url: path,
    headers: { "content-type": "application/json", [EDGE_SIGNATURE_HEADER]: signature },
    payload,
  });
}

describe("POST /v1/knowledge/search (no Chroma: searched in memory)", () => {
  it("finds passages by meaning, with their source, best first", async () => {
    const response = await post("/v1/knowledge/search", {
      query: "I can't fall asleep and lie awake in bed at night",
    });
    expect(response.statusCode).toBe(200);
    const body = knowledgeSearchResponseSchema.parse(response.json());
    expect(body.model).toBe("inkwell-static-embed-100d");
    expect(body.corpusHash).toBe(corpus.hash);
    expect(body.items).toHaveLength(5);
    expect(body.items.slice(0, 3).some((hit) => hit.domain === "sleep")).toBe(true);
    const scores = body.items.map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(body.items[0]?.source.authors.length).toBeGreaterThan(0);
  });

  it("filters by domain, evidence level and credibility", async () => {
    const response = await post("/v1/knowledge/search", {
      query: "feeling overwhelmed",
      domain: "stress",
      evidenceLevel: "medium",
      minCredibility: 0.7,
      limit: 10,
    });
    const body = knowledgeSearchResponseSchema.parse(response.json());
    expect(body.items.length).toBeGreaterThan(0);
    for (const hit of body.items) {
      expect(hit.domain).toBe("stress");
      expect(hit.evidenceLevel).toBe("medium");
      expect(hit.credibility).toBeGreaterThanOrEqual(0.7);
    }
  });

  it("validates the query", async () => {
    for (const body of [{}, { query: "" }, { query: "x", limit: 50 }, { query: "x", domain: "astrology" }]) {
      const response = await post("/v1/knowledge/search", body);
      expect(response.statusCode).toBe(400);
      expect(problemSchema.parse(response.json()).code).toBe("VALIDATION_FAILED");
    }
  });

  it("refuses requests the edge did not sign", async () => {
    expect((await post("/v1/knowledge/search", { query: "sleep" }, randomSigningKey())).statusCode).toBe(401);
    const unsigned = await app.inject({
      method: "POST",
      url: "/v1/knowledge/techniques",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ issue: "anxiety" }),
    });
    expect(unsigned.statusCode).toBe(401);
  });
});

describe("POST /v1/knowledge/techniques and /v1/knowledge/domains", () => {
  it("lists techniques for an issue", async () => {
    const response = await post("/v1/knowledge/techniques", { issue: "rumination" });
    const body = knowledgeTechniquesResponseSchema.parse(response.json());
    expect(body.techniques.length).toBeGreaterThan(3);
    expect((await post("/v1/knowledge/techniques", { issue: "boredom" })).statusCode).toBe(400);
  });

  it("lists the domains with their passage counts", async () => {
    const body = knowledgeDomainsResponseSchema.parse((await post("/v1/knowledge/domains", {})).json());
    expect(body.domains.length).toBe(corpus.files.length);
    expect(body.domains.reduce((sum, d) => sum + d.passageCount, 0)).toBe(corpus.passages.length);
  });
});
