import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FinishReason, type GenerateRequest, LlmBackendError } from "../../src/llm/backend.ts";
import { LlamaCppBackend } from "../../src/llm/llama-cpp-backend.ts";
import { type TinyModelInfo, toFloat16Bits, writeTinyLlamaGguf } from "../../testing/tiny-gguf.ts";

const dir = mkdtempSync(join(tmpdir(), "inkwell-gguf-"));
const silent = { info() {}, warn() {} };
let model: TinyModelInfo;
let backend: LlamaCppBackend;

// One thread: llama.cpp's worker threads spin while waiting, and on a busy two-core runner that costs seconds.
const load = (path: string, parallel = 2) =>
  LlamaCppBackend.load({
    modelPath: path,
    device: "cpu",
    contextSize: 256,
    parallel,
    threads: 1,
    log: silent,
  });

beforeAll(async () => {
  model = writeTinyLlamaGguf(join(dir, "tiny.gguf"));
  backend = await load(model.path);
});
afterAll(async () => {
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(request: GenerateRequest) {
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
  maxTokens: 8,
  temperature: 0.8,
  ...extra,
});

describe("the generated GGUF", () => {
  it("is a few hundred KB with a llama tokenizer vocabulary", () => {
    expect(model.bytes).toBe(statSync(model.path).size);
    expect(model.bytes).toBeGreaterThan(50_000);
    expect(model.bytes).toBeLessThan(800_000);
    expect(model.vocabulary.slice(0, 3)).toEqual(["<unk>", "<s>", "</s>"]);
    expect(model.vocabulary).toContain("<0x0A>");
    expect(model.vocabulary).toContain("▁journal");
  });

  it("converts to half precision correctly", () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(0.5)).toBe(0x3800);
    expect(toFloat16Bits(0)).toBe(0);
  });
});

describe("LlamaCppBackend with a real llama.cpp", () => {
  it("loads the model on the CPU and describes it", async () => {
    expect(backend.describe()).toEqual({
      id: "llama-cpp",
      model: "tiny.gguf",
      device: "cpu",
      contextSize: 256,
    });
    expect(await backend.health()).toEqual({ ok: true });
  });

  it("streams text pieces and stops at maxTokens with reason length", async () => {
    const { tokens, reason } = await run(
      ask("today I feel tired", { system: "You are a kind journaling companion." }),
    );
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.length).toBeLessThanOrEqual(8);
    expect(tokens.join("").length).toBeGreaterThan(0);
    expect(reason).toBe("length");
  });

  it("respects every token limit", async () => {
    // Greedy, so the answer is the same every run. Its first token ("<") could begin a stop sequence;
    // node-llama-cpp holds such text back and drops it when the limit ends the answer first, so one
    // token gives no text (with sampling, sometimes), while three already do.
    for (const maxTokens of [1, 3, 16]) {
      const { tokens, reason } = await run(ask("write about the week", { maxTokens, temperature: 0 }));
      expect(tokens.length).toBeLessThanOrEqual(maxTokens);
      if (maxTokens > 1) expect(tokens.length).toBeGreaterThan(0);
      expect(reason).toBe("length");
    }
  });

  it("takes a multi-turn conversation", async () => {
    const { tokens } = await run({
      system: "Be brief.",
      messages: [
        { role: "user", content: "hello" },
        { role: "assistant", content: "hello, how was your day" },
        { role: "user", content: "good, I went for a walk" },
      ],
      maxTokens: 4,
      temperature: 0,
    });
    expect(tokens.length).toBeGreaterThan(0);
  });

  it("stops promptly when aborted, reporting aborted", async () => {
    const controller = new AbortController();
    const tokens: string[] = [];
    let reason: FinishReason | undefined;
    for await (const text of backend.generate(
      ask("go on and on", { maxTokens: 200, signal: controller.signal }),
      (r) => {
        reason = r;
      },
    )) {
      tokens.push(text);
      if (tokens.length === 2) controller.abort();
    }
    expect(reason).toBe("aborted");
    expect(tokens.length).toBeLessThan(20);
  });

  it("returns nothing for a request aborted before it starts", async () => {
    const { tokens, reason } = await run(ask("hi", { signal: AbortSignal.abort() }));
    expect(tokens).toEqual([]);
    expect(reason).toBe("aborted");
  });

  it("runs as many generations at once as it has sequences, queueing the rest", async () => {
    const results = await Promise.all([1, 2, 3].map((i) => run(ask(`entry ${i}`, { maxTokens: 3 }))));
    for (const result of results) expect(result.reason).toBe("length");
  });

  it("refuses a conversation that does not end with the user", async () => {
    const stream = backend.generate({
      messages: [{ role: "assistant", content: "hi" }],
      maxTokens: 2,
      temperature: 0,
    });
    await expect(
      (async () => {
        for await (const _ of stream) {
        }
      })(),
    ).rejects.toBeInstanceOf(LlmBackendError);
  });

  it("loads an F16 variant too", async () => {
    const f16 = writeTinyLlamaGguf(join(dir, "tiny-f16.gguf"), { matrixType: "f16", seed: 7 });
    expect(f16.bytes).toBeLessThan(model.bytes);
    const other = await load(f16.path, 1);
    try {
      const tokens: string[] = [];
      for await (const text of other.generate(ask("hello", { maxTokens: 3 }))) tokens.push(text);
      expect(tokens.length).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
    expect(await other.health()).toEqual({ ok: false, detail: "closed" });
  });

  it("fails to load a file that is not a GGUF, naming it", async () => {
    const bad = join(dir, "broken.gguf");
    writeFileSync(bad, "this is not a model");
    await expect(load(bad)).rejects.toThrow(/broken\.gguf/);
  });
});
