import { analyzeEntryResultSchema, problemSchema } from "@inkwell/shared";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safetyMeaningFor } from "../../src/analysis/safety-meaning.ts";
import { buildApp } from "../../src/app.ts";
import type { Config } from "../../src/config.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { signLikeQstash } from "../helpers/qstash-signer.ts";
import { loadBuiltRuntime } from "../helpers/real-runtime.ts";
import { testConfig } from "../helpers/test-config.ts";

const hardware = {
  cpu: { model: "test", cores: 2, arch: "x64" },
  memory: { totalMiB: 4096, freeMiB: 2048 },
  cuda: { available: false, reason: "test", gpus: [] },
  device: "cpu" as const,
};
const URL = "http://node.test:8788/jobs/analyze-entry";

let runtime: InferenceRuntime;
let app: FastifyInstance;
let config: Config;
const logLines: string[] = [];

beforeAll(async () => {
  runtime = await loadBuiltRuntime();
  // As a node does before it listens: the crisis assessor's prototype bank, embedded once.
  await safetyMeaningFor(runtime);
  config = testConfig({ LOG_LEVEL: "info" });
  const { pino } = await import("pino");
  const logger = pino({ level: "info" }, { write: (line: string) => logLines.push(line) });
  app = await buildApp(config, { hardware, runtime, logger });
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

function deliver(job: unknown) {
  const body = JSON.stringify(job);
  return app.inject({
    method: "POST",
    url: "/jobs/analyze-entry",
    headers: {
      "content-type": "application/json",
      "upstash-signature": signLikeQstash({ key: config.qstash.currentSigningKey, url: URL, body }),
    },
    payload: body,
  });
}

const job = (content: string, extra: Record<string, unknown> = {}) => ({
  jobId: "job_1",
  entryId: "entry_1",
  userId: "user_1",
  contentVersion: 3,
  content,
  ...extra,
});

describe("POST /jobs/analyze-entry", () => {
  it("returns embedding, sentiment, emotions, keywords and safety for an entry", async () => {
    const content =
      "We celebrated Maya's birthday at the lake. Everyone laughed, the cake was wonderful and I felt so happy and grateful for my friends. The lake was calm and the birthday candles kept blowing out.";
    const response = await deliver(job(content, { title: "A happy birthday" }));
    expect(response.statusCode).toBe(200);
    const result = analyzeEntryResultSchema.parse(response.json());
    expect(result).toMatchObject({
      jobId: "job_1",
      entryId: "entry_1",
      contentVersion: 3,
      model: "inkwell-static-embed-100d",
      dims: 100,
    });
    expect(result.embedding).toHaveLength(100);
    expect(Math.hypot(...result.embedding)).toBeCloseTo(1, 4);
    expect(result.sentiment.label).toBe("positive");
    expect(result.emotions).toHaveLength(7);
    expect(result.emotions[0]?.label).toBe("joy");
    expect(result.emotions.reduce((sum, e) => sum + e.score, 0)).toBeCloseTo(1, 2);
    // Most frequent first; ties by first appearance ("happy" is in the title, before "lake").
    expect(result.keywords.slice(0, 3)).toEqual(["birthday", "happy", "lake"]);
    expect(result.safety).toEqual({ level: "none", reasons: [] });
    expect(result.models).toEqual({
      embedding: "inkwell-static-embed-100d",
      sentiment: "inkwell-sentiment-uci",
      emotion: "inkwell-emotion-prototypes",
    });
  });

  it("flags risk with resources, and keeps the entry's text out of the logs", async () => {
    const secret = "I wrote a suicide note tonight after the fight with Jordan";
    const response = await deliver(job(`${secret}. I feel so alone and hopeless.`));
    const result = analyzeEntryResultSchema.parse(response.json());
    expect(result.sentiment.label).toBe("negative");
    expect(result.safety.level).toBe("critical");
    expect(result.safety.resources?.map((r) => r.contact).join(" ")).toContain("988");
    const logs = logLines.join("\n");
    expect(logs).toContain("entry analysed");
    expect(logs).not.toContain("Jordan");
    expect(logs).not.toContain("suicide note");
  });

  it("refuses unsigned deliveries and invalid jobs", async () => {
    const unsigned = await app.inject({
      method: "POST",
      url: "/jobs/analyze-entry",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(job("hi")),
    });
    expect(unsigned.statusCode).toBe(401);
    const invalid = await deliver({ jobId: "j" });
    expect(invalid.statusCode).toBe(400);
    expect(problemSchema.parse(invalid.json()).errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(["entryId", "userId", "contentVersion", "content"]),
    );
  });
});
