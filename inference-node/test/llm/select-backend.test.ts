import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OllamaStandIn, startOllamaStandIn } from "@inkwell/dev/testing/ollama";
import { loadManifest } from "@inkwell/models/manifest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlmBackendError } from "../../src/llm/backend.ts";
import { findGguf, selectLlmBackend } from "../../src/llm/select-backend.ts";
import { writeTinyLlamaGguf } from "../../testing/tiny-gguf.ts";
import { testConfig } from "../helpers/test-config.ts";

const dir = mkdtempSync(join(tmpdir(), "inkwell-select-"));
const emptyModels = join(dir, "models-empty");
const silent = { info() {}, warn() {} };
const manifest = loadManifest();
let standIn: OllamaStandIn;
let gguf: string;

beforeAll(async () => {
  mkdirSync(emptyModels);
  gguf = writeTinyLlamaGguf(join(dir, "tiny.gguf")).path;
  standIn = await startOllamaStandIn({ models: [{ name: "llama3.2:3b" }] });
});
afterAll(async () => {
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

const select = (env: NodeJS.ProcessEnv, modelsDir = emptyModels) =>
  selectLlmBackend({
    config: testConfig({ LLM_THREADS: "1", ...env }).llm,
    device: "cpu",
    manifest,
    modelDirs: [modelsDir],
    log: silent,
  });

describe("choosing the LLM backend at boot", () => {
  it("auto takes Ollama when it answers with the model", async () => {
    const llm = await select({ OLLAMA_URL: standIn.url, LLAMA_GGUF_PATH: gguf });
    expect(llm.backend?.id).toBe("ollama");
    expect(await llm.info()).toMatchObject({ requested: "auto", backend: "ollama", health: { ok: true } });
    await llm.close();
  });

  it("auto falls back to llama.cpp when Ollama lacks the model, and says why", async () => {
    const llm = await select({ OLLAMA_URL: standIn.url, OLLAMA_MODEL: "mistral:7b", LLAMA_GGUF_PATH: gguf });
    try {
      expect(llm.backend?.id).toBe("llama-cpp");
      const info = await llm.info();
      expect(info.reasons[0]).toContain("mistral:7b is not pulled");
      expect(info.model).toMatchObject({ id: "llama-cpp", model: "tiny.gguf", device: "cpu" });
    } finally {
      await llm.close();
    }
  });

  it("auto ends with none when nothing is usable", async () => {
    const llm = await select({ OLLAMA_URL: "http://127.0.0.1:9" });
    expect(llm.backend).toBeUndefined();
    const info = await llm.info();
    expect(info.backend).toBe("none");
    expect(info.reasons.join(" ")).toMatch(/unreachable.*no GGUF model/s);
  });

  it("finds a manifest GGUF already in the models folder", async () => {
    const modelsDir = join(dir, "models");
    const entry = manifest.models.find((m) => m.format === "gguf");
    if (entry?.format !== "gguf") throw new Error("the manifest has no GGUF model");
    mkdirSync(join(modelsDir, entry.id), { recursive: true });
    writeTinyLlamaGguf(join(modelsDir, entry.id, entry.files[0]?.path ?? "model.gguf"));
    expect(findGguf(testConfig().llm, manifest, [modelsDir])).toMatchObject({ id: entry.id });
    expect(findGguf(testConfig().llm, manifest, [emptyModels])).toBeUndefined();
    const llm = await select({ LLM_BACKEND: "llama-cpp" }, modelsDir);
    try {
      expect(llm.backend?.describe().model).toBe(entry.id);
    } finally {
      await llm.close();
    }
  });

  it("none is none, whatever else is configured", async () => {
    const llm = await select({ LLM_BACKEND: "none", OLLAMA_URL: standIn.url, LLAMA_GGUF_PATH: gguf });
    expect(llm.backend).toBeUndefined();
  });

  it("refuses to boot when an explicit choice cannot work", async () => {
    await expect(select({ LLM_BACKEND: "ollama" })).rejects.toThrow(/OLLAMA_URL is not set/);
    await expect(select({ LLM_BACKEND: "ollama", OLLAMA_URL: "http://127.0.0.1:9" })).rejects.toBeInstanceOf(
      LlmBackendError,
    );
    await expect(
      select({ LLM_BACKEND: "llama-cpp", LLAMA_GGUF_PATH: join(dir, "nope.gguf") }),
    ).rejects.toThrow(/does not exist/);
  });

  it("keeps an explicit Ollama whose model is not pulled yet, reporting it unhealthy", async () => {
    const llm = await select({ LLM_BACKEND: "ollama", OLLAMA_URL: standIn.url, OLLAMA_MODEL: "qwen2.5:7b" });
    expect(llm.backend?.id).toBe("ollama");
    expect((await llm.info()).health?.ok).toBe(false);
  });

  it("validates the LLM variables", () => {
    expect(() => testConfig({ LLM_BACKEND: "gpt" })).toThrow(/LLM_BACKEND/);
    expect(() => testConfig({ OLLAMA_URL: "ftp://x" })).toThrow(/OLLAMA_URL/);
    expect(testConfig({ OLLAMA_URL: "http://127.0.0.1:11434/" }).llm).toMatchObject({
      backend: "auto",
      ollamaUrl: "http://127.0.0.1:11434",
      ollamaModel: "llama3.2:3b",
      contextSize: 4096,
      parallel: 1,
      timeoutMs: 120_000,
    });
  });
});
