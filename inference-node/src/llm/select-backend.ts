import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Manifest } from "@inkwell/models/manifest";
import type { Config } from "../config.ts";
import { type LlmBackend, LlmBackendError, type LlmDescription, type LlmHealth } from "./backend.ts";
import { OllamaBackend } from "./ollama-backend.ts";

export interface LlmLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LlmInfo {
  requested: Config["llm"]["backend"];
  /** `none`: this node generates nothing and the edge answers without an LLM (`generated: false`). */
  backend: LlmDescription["id"] | "none";
  model?: LlmDescription;
  health?: LlmHealth;
  /** Why each candidate was taken or passed over, in boot order. */
  reasons: string[];
}

/** What the node runs for chat, chosen once at boot; `backend` is undefined when it has none. */
export interface LlmRuntime {
  readonly backend: LlmBackend | undefined;
  readonly timeoutMs: number;
  info(): Promise<LlmInfo>;
  close(): Promise<void>;
}

export function llmRuntime(
  backend: LlmBackend | undefined,
  options: { requested: Config["llm"]["backend"]; reasons?: string[]; timeoutMs: number },
): LlmRuntime {
  const reasons = options.reasons ?? [];
  return {
    backend,
    timeoutMs: options.timeoutMs,
    async info() {
      if (!backend) return { requested: options.requested, backend: "none", reasons };
      return {
        requested: options.requested,
        backend: backend.id,
        model: backend.describe(),
        health: await backend.health(),
        reasons,
      };
    },
    async close() {
      await backend?.close();
    },
  };
}

/**
 * The GGUF to load: LLAMA_GGUF_PATH, else the best manifest GGUF in the models folders (searched in order:
 * pulled, then built-in, as for the other models).
 */
export function findGguf(
  config: Config["llm"],
  manifest: Manifest,
  modelDirs: readonly string[],
): { path: string; id?: string } | undefined {
  if (config.ggufPath) return existsSync(config.ggufPath) ? { path: config.ggufPath } : undefined;
  const candidates = manifest.models
    .filter((m) => m.task === "llm" && m.format === "gguf")
    .sort((a, b) => b.priority - a.priority);
  for (const model of candidates) {
    if (model.format !== "gguf") continue;
    const file = model.files[0];
    if (!file) continue;
    for (const modelsDir of modelDirs) {
      const path = join(modelsDir, model.id, file.path);
      if (existsSync(path)) return { path, id: model.id };
    }
  }
  return undefined;
}

export interface SelectLlmOptions {
  config: Config["llm"];
  device: "cuda" | "cpu";
  manifest: Manifest;
  /** The models folders, searched in order (see nodeModelDirs). */
  modelDirs: readonly string[];
  log: LlmLogger;
}

/**
 * `auto`: Ollama when it answers and has the model, else llama.cpp when a GGUF is on disk, else none. An
 * explicit choice that cannot work stops the boot instead (an operator asked for it), except Ollama
 * without the model, which only warns: the model can be pulled while the node runs.
 */
export async function selectLlmBackend(options: SelectLlmOptions): Promise<LlmRuntime> {
  const { config, log } = options;
  const reasons: string[] = [];
  const done = (backend: LlmBackend | undefined) => {
    const runtime = llmRuntime(backend, { requested: config.backend, reasons, timeoutMs: config.timeoutMs });
    log.info({ requested: config.backend, backend: backend?.id ?? "none", reasons }, "LLM backend selected");
    return runtime;
  };

  if (config.backend === "none") {
    reasons.push("LLM_BACKEND is none");
    return done(undefined);
  }

  if (config.backend === "ollama" || config.backend === "auto") {
    if (!config.ollamaUrl) {
      if (config.backend === "ollama")
        throw new LlmBackendError("LLM_BACKEND is ollama but OLLAMA_URL is not set", "unavailable");
      reasons.push("ollama: OLLAMA_URL is not set");
    } else {
      const ollama = new OllamaBackend({ url: config.ollamaUrl, model: config.ollamaModel });
      const status = await ollama.status();
      if (status.reachable && status.modelPresent) {
        reasons.push(`ollama: ${config.ollamaModel} is available`);
        return done(ollama);
      }
      if (config.backend === "ollama") {
        if (!status.reachable) {
          throw new LlmBackendError(
            `LLM_BACKEND is ollama but Ollama does not answer: ${status.detail ?? ""}`,
            "unavailable",
          );
        }
        log.warn(
          { model: config.ollamaModel, installed: status.models },
          "Ollama does not have the model yet; pull it (npx tsx inference-node/src/llm/pull-ollama.ts) and chat starts working",
        );
        reasons.push(`ollama: ${config.ollamaModel} is not pulled yet`);
        return done(ollama);
      }
      reasons.push(
        `ollama: ${status.reachable ? `${config.ollamaModel} is not pulled` : `unreachable (${status.detail ?? "no answer"})`}`,
      );
    }
  }

  // Reached for auto (after Ollama) and for an explicit llama-cpp.
  const gguf = findGguf(config, options.manifest, options.modelDirs);
  if (!gguf) {
    const why = config.ggufPath
      ? `LLAMA_GGUF_PATH ${config.ggufPath} does not exist`
      : "no GGUF model in the models folder";
    if (config.backend === "llama-cpp")
      throw new LlmBackendError(`LLM_BACKEND is llama-cpp but ${why}`, "model-missing");
    reasons.push(`llama-cpp: ${why}`);
    return done(undefined);
  }
  try {
    // Loaded on demand: node-llama-cpp is a large module that nodes using Ollama (or none) never need.
    const { LlamaCppBackend } = await import("./llama-cpp-backend.ts");
    const backend = await LlamaCppBackend.load({
      modelPath: gguf.path,
      ...(gguf.id ? { modelId: gguf.id } : {}),
      device: options.device,
      contextSize: config.contextSize,
      parallel: config.parallel,
      ...(config.threads ? { threads: config.threads } : {}),
      log,
    });
    reasons.push(`llama-cpp: loaded ${gguf.id ?? gguf.path}`);
    return done(backend);
  } catch (error) {
    if (config.backend === "llama-cpp") throw error;
    reasons.push(`llama-cpp: ${(error as Error).message}`);
    log.warn({ err: (error as Error).message }, "llama.cpp could not load the GGUF; the node serves no LLM");
    return done(undefined);
  }
}
