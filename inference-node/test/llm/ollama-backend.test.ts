import { type OllamaStandIn, startOllamaStandIn } from "@inkwell/dev/testing/ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FinishReason, type GenerateRequest, LlmBackendError } from "../../src/llm/backend.ts";
import { OllamaBackend } from "../../src/llm/ollama-backend.ts";

let standIn: OllamaStandIn;

beforeAll(async () => {
  standIn = await startOllamaStandIn({ models: [{ name: "llama3.2:3b" }], pullable: ["qwen2.5:0.5b"] });
});
afterAll(async () => {
  await standIn.close();
});

async function run(backend: OllamaBackend, request: GenerateRequest) {
  const tokens: string[] = [];
  let reason: FinishReason | undefined;
  for await (const text of backend.generate(request, (r) => {
    reason = r;
  }))
    tokens.push(text);
  return { tokens, reason };
}

const ask = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  messages: [{ role: "user", content }],
  maxTokens: 64,
  temperature: 0.3,
  ...extra,
});

describe("OllamaBackend against the Ollama stand-in", () => {
  it("reports reachability and whether the model is pulled", async () => {
    const present = new OllamaBackend({ url: standIn.url, model: "llama3.2:3b" });
    expect(await present.status()).toMatchObject({
      reachable: true,
      modelPresent: true,
      models: ["llama3.2:3b"],
    });
    expect(await present.health()).toEqual({ ok: true });
    const missing = new OllamaBackend({ url: standIn.url, model: "mistral" });
    expect(await missing.status()).toMatchObject({ reachable: true, modelPresent: false });
    const down = new OllamaBackend({
      url: "http://127.0.0.1:9",
      model: "llama3.2:3b",
      requestTimeoutMs: 1000,
    });
    expect(await down.status()).toMatchObject({ reachable: false, modelPresent: false });
    expect((await down.health()).ok).toBe(false);
  });

  it("describes itself without credentials in the URL", () => {
    const url = new URL(standIn.url);
    url.username = "user";
    url.password = "secret";
    const backend = new OllamaBackend({ url: url.toString(), model: "llama3.2:3b" });
    expect(backend.describe()).toEqual({ id: "ollama", model: "llama3.2:3b", url: standIn.url });
  });

  it("streams the answer with the system prompt and history sent in Ollama's shape", async () => {
    const backend = new OllamaBackend({ url: standIn.url, model: "llama3.2:3b" });
    const { tokens, reason } = await run(backend, {
      system: "You are kind.",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
        { role: "user", content: "I walked by the sea" },
      ],
      maxTokens: 64,
      temperature: 0.3,
    });
    expect(tokens.join("")).toBe("You said: I walked by the sea");
    expect(reason).toBe("stop");
    const chat = standIn.chats.at(-1);
    expect(chat?.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(chat?.options).toMatchObject({ num_predict: 64, temperature: 0.3 });
  });

  it("passes maxTokens as num_predict and reports length", async () => {
    const backend = new OllamaBackend({ url: standIn.url, model: "llama3.2:3b" });
    const { tokens, reason } = await run(backend, ask("one two three four five", { maxTokens: 2 }));
    expect(tokens).toEqual(["You", " said:"]);
    expect(reason).toBe("length");
  });

  it("turns an unknown model into a model-missing error", async () => {
    const backend = new OllamaBackend({ url: standIn.url, model: "nope:1b" });
    const error = await run(backend, ask("hi")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmBackendError);
    expect(error).toMatchObject({ kind: "model-missing" });
  });

  it("turns an unreachable server into an unavailable error", async () => {
    const backend = new OllamaBackend({ url: "http://127.0.0.1:9", model: "llama3.2:3b" });
    await expect(run(backend, ask("hi"))).rejects.toMatchObject({ kind: "unavailable" });
  });

  it("turns a mid-stream error into a failed error after the tokens already sent", async () => {
    standIn.configure({ failAfterTokens: 2 });
    try {
      const backend = new OllamaBackend({ url: standIn.url, model: "llama3.2:3b" });
      const seen: string[] = [];
      const error = await (async () => {
        for await (const text of backend.generate(ask("a b c d"))) seen.push(text);
      })().catch((e: unknown) => e);
      expect(seen).toEqual(["You", " said:"]);
      expect(error).toMatchObject({ kind: "failed" });
    } finally {
      standIn.configure({ failAfterTokens: undefined });
    }
  });

  it("closes the request to Ollama when aborted", async () => {
    standIn.configure({ tokenDelayMs: 15 });
    try {
      const backend = new OllamaBackend({ url: standIn.url, model: "llama3.2:3b" });
      const controller = new AbortController();
      const tokens: string[] = [];
      let reason: FinishReason | undefined;
      const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
      for await (const text of backend.generate(ask(words, { signal: controller.signal }), (r) => {
        reason = r;
      })) {
        tokens.push(text);
        if (tokens.length === 3) controller.abort();
      }
      expect(reason).toBe("aborted");
      const chat = standIn.chats.at(-1);
      await expect.poll(() => chat?.aborted).toBe(true);
      expect(chat?.tokensSent).toBeLessThan(40);
    } finally {
      standIn.configure({ tokenDelayMs: 0 });
    }
  });

  it("pulls a model with progress", async () => {
    const backend = new OllamaBackend({ url: standIn.url, model: "qwen2.5:0.5b" });
    expect((await backend.status()).modelPresent).toBe(false);
    const statuses: string[] = [];
    await backend.pull(undefined, (p) => statuses.push(p.status));
    expect(statuses.at(-1)).toBe("success");
    expect((await backend.status()).modelPresent).toBe(true);
    await expect(backend.pull("missing:tag")).rejects.toBeInstanceOf(LlmBackendError);
  });
});
