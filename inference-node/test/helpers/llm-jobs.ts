import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import type { Config } from "../../src/config.ts";
import type { FinishReason, GenerateRequest, LlmBackend } from "../../src/llm/backend.ts";
import { LlamaCppBackend } from "../../src/llm/llama-cpp-backend.ts";
import { llmRuntime } from "../../src/llm/select-backend.ts";
import { errorHandler } from "../../src/plugins/error-handler.ts";
import { jobRoutes } from "../../src/routes/jobs/index.ts";
import type { InferenceRuntime } from "../../src/runtime/runtime.ts";
import { writeTinyLlamaGguf } from "../../testing/tiny-gguf.ts";
import { deliverSigned } from "./qstash-signer.ts";

/** A backend that answers with a fixed text (in small pieces) and records what it was asked. */
export class ScriptedBackend implements LlmBackend {
  readonly id = "ollama" as const;
  requests: GenerateRequest[] = [];
  constructor(private readonly answer: string | Error) {}
  async health() {
    return { ok: true };
  }
  async *generate(
    request: GenerateRequest,
    onFinish?: (reason: FinishReason) => void,
  ): AsyncIterable<string> {
    this.requests.push(request);
    if (this.answer instanceof Error) throw this.answer;
    for (const piece of this.answer.match(/.{1,4}/gs) ?? []) yield piece;
    onFinish?.("stop");
  }
  describe() {
    return { id: this.id, model: "scripted:1b" };
  }
  async close() {}
}

/** The generated random-weight GGUF model, loaded by llama.cpp on the CPU, in its own temp folder. */
export async function loadTinyLlama(
  contextSize: number,
): Promise<{ llama: LlamaCppBackend; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "inkwell-llm-"));
  const gguf = writeTinyLlamaGguf(join(dir, "tiny.gguf"), { contextLength: Math.max(contextSize, 512) });
  const llama = await LlamaCppBackend.load({
    modelPath: gguf.path,
    device: "cpu",
    contextSize,
    parallel: 1,
    threads: 1,
    log: { info() {}, warn() {} },
  });
  return {
    llama,
    async close() {
      await llama.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The node's signed `/jobs` routes in a bare Fastify app with a chosen language-model backend, and a
 * way to deliver a job to one of them signed as QStash would sign it.
 */
export function llmJobApps(options: { config: () => Config; runtime: InferenceRuntime; timeoutMs: number }) {
  const apps: FastifyInstance[] = [];
  return {
    async app(backend: LlmBackend | undefined): Promise<FastifyInstance> {
      const app = Fastify({ logger: false });
      await app.register(errorHandler);
      const llm = llmRuntime(backend, { requested: "auto", timeoutMs: options.timeoutMs });
      await app.register(jobRoutes, { config: options.config(), runtime: options.runtime, llm });
      apps.push(app);
      return app;
    },
    deliver(app: FastifyInstance, path: string, job: unknown, key?: string) {
      return deliverSigned(app, options.config(), path, job, key);
    },
    /** Keeps an app made elsewhere to be closed with the rest. */
    track(app: FastifyInstance) {
      apps.push(app);
    },
    async close() {
      for (const app of apps) await app.close();
    },
  };
}
