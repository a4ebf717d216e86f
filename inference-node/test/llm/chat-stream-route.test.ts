import { type OllamaStandIn, startOllamaStandIn } from "@inkwell/dev/testing/ollama";
import {
  type ChatStreamEvent,
  chatStreamEventSchema,
  EDGE_SIGNATURE_HEADER,
  problemSchema,
  signEdgeRequest,
} from "@inkwell/shared";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import type { LlamaCppBackend } from "../../src/llm/llama-cpp-backend.ts";
import { OllamaBackend } from "../../src/llm/ollama-backend.ts";
import { type LlmRuntime, llmRuntime } from "../../src/llm/select-backend.ts";
import { fakeRuntime } from "../helpers/fake-runtime.ts";
import { loadTinyLlama } from "../helpers/llm-jobs.ts";
import { randomSigningKey } from "../helpers/qstash-signer.ts";
import { testConfig, testHardware } from "../helpers/test-config.ts";

const hardware = testHardware;
const nodeToken = randomSigningKey();
const runtime = fakeRuntime();
let standIn: OllamaStandIn;
let tiny: Awaited<ReturnType<typeof loadTinyLlama>>;
let llama: LlamaCppBackend;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  standIn = await startOllamaStandIn({ models: [{ name: "llama3.2:3b" }] });
  tiny = await loadTinyLlama(256);
  llama = tiny.llama;
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await tiny.close();
  await standIn.close();
  await runtime.close();
});

async function appWith(llm: LlmRuntime): Promise<FastifyInstance> {
  const app = await buildApp(testConfig({ NODE_TOKEN: nodeToken }), { hardware, runtime, llm });
  apps.push(app);
  return app;
}

const ollamaLlm = (timeoutMs = 30_000) =>
  llmRuntime(new OllamaBackend({ url: standIn.url, model: "llama3.2:3b" }), {
    requested: "ollama",
    timeoutMs,
  });

async function signed(body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  const signature = await signEdgeRequest({
    nodeToken,
    method: "POST",
    path: "/v1/chat/stream",
    body: payload,
  });
  return {
    payload,
    headers: { "content-type": "application/json", [EDGE_SIGNATURE_HEADER]: signature, ...headers },
  };
}

function ndjson(text: string): ChatStreamEvent[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => chatStreamEventSchema.parse(JSON.parse(line)));
}

const chat = (content: string, extra: object = {}) => ({ messages: [{ role: "user", content }], ...extra });

describe("POST /v1/chat/stream", () => {
  it("streams llama.cpp tokens as NDJSON: start, tokens, done with the token count", async () => {
    const app = await appWith(llmRuntime(llama, { requested: "llama-cpp", timeoutMs: 30_000 }));
    const request = await signed(chat("today was long", { system: "Be kind.", maxTokens: 5 }));
    const response = await app.inject({ method: "POST", url: "/v1/chat/stream", ...request });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("application/x-ndjson");
    const events = ndjson(response.body);
    expect(events[0]).toEqual({ type: "start", backend: "llama-cpp", model: "tiny.gguf" });
    const tokens = events.filter((e) => e.type === "token");
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.length).toBeLessThanOrEqual(5);
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "length", tokens: tokens.length });
  });

  it("speaks SSE when asked, here from Ollama", async () => {
    const app = await appWith(ollamaLlm());
    const request = await signed(chat("hello there"), { accept: "text/event-stream" });
    const response = await app.inject({ method: "POST", url: "/v1/chat/stream", ...request });
    expect(response.headers["content-type"]).toContain("text/event-stream");
    const events = response.body
      .split("\n\n")
      .filter(Boolean)
      .map((block) => {
        const [eventLine, dataLine] = block.split("\n");
        const event = chatStreamEventSchema.parse(JSON.parse(dataLine?.replace(/^data: /, "") ?? ""));
        expect(eventLine).toBe(`event: ${event.type}`);
        return event;
      });
    const text = events.flatMap((e) => (e.type === "token" ? [e.text] : [])).join("");
    expect(text).toBe("You said: hello there");
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
  });

  it("refuses unsigned requests and validates the body after the signature", async () => {
    const app = await appWith(ollamaLlm());
    const unsigned = await app.inject({
      method: "POST",
      url: "/v1/chat/stream",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(chat("hi")),
    });
    expect(unsigned.statusCode).toBe(401);
    for (const body of [
      { messages: [] },
      chat("hi", { maxTokens: 0 }),
      { messages: [{ role: "assistant", content: "hi" }] },
      chat("hi", { extra: true }),
    ]) {
      const response = await app.inject({ method: "POST", url: "/v1/chat/stream", ...(await signed(body)) });
      expect(response.statusCode).toBe(400);
      expect(problemSchema.parse(response.json()).code).toBe("VALIDATION_FAILED");
    }
  });

  it("answers 503 when the node has no LLM backend", async () => {
    const app = await appWith(llmRuntime(undefined, { requested: "none", timeoutMs: 1000 }));
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/stream",
      ...(await signed(chat("hi"))),
    });
    expect(response.statusCode).toBe(503);
    expect(problemSchema.parse(response.json()).code).toBe("SERVICE_UNAVAILABLE");
    const info = await app.admin.inject({ method: "GET", url: "/info" });
    expect(info.json().llm).toMatchObject({ requested: "none", backend: "none" });
  });

  it("reports a backend failure in-band once streaming has begun", async () => {
    standIn.configure({ failAfterTokens: 1 });
    try {
      const app = await appWith(ollamaLlm());
      const response = await app.inject({
        method: "POST",
        url: "/v1/chat/stream",
        ...(await signed(chat("a b c"))),
      });
      const events = ndjson(response.body);
      expect(events.map((e) => e.type)).toEqual(["start", "token", "error"]);
      expect(events.at(-1)).toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
    } finally {
      standIn.configure({ failAfterTokens: undefined });
    }
  });

  it("cuts an answer off at the node's deadline", async () => {
    standIn.configure({ tokenDelayMs: 50 });
    try {
      const app = await appWith(ollamaLlm(300));
      const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(" ");
      const response = await app.inject({
        method: "POST",
        url: "/v1/chat/stream",
        ...(await signed(chat(words))),
      });
      const events = ndjson(response.body);
      expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "timeout" });
      expect(events.filter((e) => e.type === "token").length).toBeLessThan(30);
      await expect.poll(() => standIn.chats.at(-1)?.aborted).toBe(true);
    } finally {
      standIn.configure({ tokenDelayMs: 0 });
    }
  });

  it("stops generating when the client disconnects", async () => {
    standIn.configure({ tokenDelayMs: 30 });
    try {
      const app = await appWith(ollamaLlm());
      const address = await app.listen({ host: "127.0.0.1", port: 0 });
      const words = Array.from({ length: 80 }, (_, i) => `w${i}`).join(" ");
      const request = await signed(chat(words));
      const controller = new AbortController();
      const response = await fetch(`${address}/v1/chat/stream`, {
        method: "POST",
        headers: request.headers,
        body: request.payload,
        signal: controller.signal,
      });
      const reader = response.body?.getReader();
      let received = "";
      while (!received.includes('"type":"token"')) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        received += new TextDecoder().decode(chunk.value);
      }
      controller.abort();
      const record = standIn.chats.at(-1);
      await expect.poll(() => record?.aborted, { timeout: 5000 }).toBe(true);
      expect(record?.tokensSent).toBeLessThan(80);
      // The aborted fetch leaves a keep-alive socket that would hold app.close() for its full timeout.
      app.server.closeAllConnections();
    } finally {
      standIn.configure({ tokenDelayMs: 0 });
    }
  });

  it("shows the backend in /info", async () => {
    const app = await appWith(ollamaLlm());
    const info = (await app.admin.inject({ method: "GET", url: "/info" })).json();
    expect(info.llm).toMatchObject({
      requested: "ollama",
      backend: "ollama",
      model: { id: "ollama", model: "llama3.2:3b", url: standIn.url },
      health: { ok: true },
    });
  });
});
