import { basename } from "node:path";
import {
  type ChatHistoryItem,
  getLlama,
  type Llama,
  LlamaChatSession,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
} from "node-llama-cpp";
import {
  type FinishReason,
  type GenerateRequest,
  type LlmBackend,
  LlmBackendError,
  type LlmDescription,
  type LlmHealth,
  TokenQueue,
} from "./backend.ts";

export interface LlamaCppLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LlamaCppOptions {
  modelPath: string;
  /** Shown in /info; the manifest id when the file came from the models folder. */
  modelId?: string;
  /** `cuda` tries the GPU first and falls back to the CPU; `cpu` never touches it. */
  device: "cuda" | "cpu";
  contextSize: number;
  /** Generations that may run side by side; each gets its own sequence of the context. */
  parallel: number;
  threads?: number;
  log: LlamaCppLogger;
}

/**
 * The GPU attempt reads the CUDA build shipped in @node-llama-cpp/linux-x64-cuda; `build: "never"` keeps
 * node-llama-cpp from compiling or downloading anything at run time (nodes are often offline).
 */
async function loadLlama(device: "cuda" | "cpu", log: LlamaCppLogger): Promise<Llama> {
  const logger = (level: LlamaLogLevel, message: string) => {
    // llama.cpp's own chatter (tensor loading, KV cache sizes) would drown the node's log; keep problems only.
    if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
      log.warn({ llamaCpp: message.trim() }, "llama.cpp");
  };
  if (device === "cuda") {
    try {
      return await getLlama({ gpu: "cuda", build: "never", logLevel: LlamaLogLevel.error, logger });
    } catch (error) {
      log.warn({ err: (error as Error).message }, "llama.cpp could not use CUDA; falling back to the CPU");
    }
  }
  return await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, logger });
}

/**
 * The context's sequences, handed out one generation at a time: llama.cpp runs a fixed number of
 * generations at once, and reusing sequences avoids waiting for disposed ones to be reclaimed.
 */
class SequencePool {
  private readonly waiters: ((sequence: LlamaContextSequence) => void)[] = [];

  constructor(private readonly free: LlamaContextSequence[]) {}

  async take(signal?: AbortSignal): Promise<LlamaContextSequence> {
    const ready = this.free.pop();
    if (ready) return ready;
    return await new Promise<LlamaContextSequence>((resolve, reject) => {
      const waiter = (sequence: LlamaContextSequence) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(sequence);
      };
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  async give(sequence: LlamaContextSequence): Promise<void> {
    // The next conversation must not see this one's tokens.
    await sequence.clearHistory();
    const next = this.waiters.shift();
    if (next) next(sequence);
    else this.free.push(sequence);
  }
}

function toHistory(request: GenerateRequest): { history: ChatHistoryItem[]; prompt: string } {
  const messages = [...request.messages];
  const last = messages.pop();
  if (last?.role !== "user") {
    throw new LlmBackendError("The conversation must end with a user message", "failed");
  }
  const history: ChatHistoryItem[] = [];
  if (request.system) history.push({ type: "system", text: request.system });
  for (const message of messages) {
    history.push(
      message.role === "user"
        ? { type: "user", text: message.content }
        : { type: "model", response: [message.content] },
    );
  }
  return { history, prompt: last.content };
}

/** A GGUF model run in-process by llama.cpp (node-llama-cpp): for nodes without an Ollama server. */
export class LlamaCppBackend implements LlmBackend {
  readonly id = "llama-cpp" as const;
  private closed = false;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly pool: SequencePool,
    private readonly description: LlmDescription,
  ) {}

  static async load(options: LlamaCppOptions): Promise<LlamaCppBackend> {
    const llama = await loadLlama(options.device, options.log);
    const onGpu = llama.gpu !== false;
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: onGpu ? "auto" : 0 });
      const contextSize = Math.min(options.contextSize, model.trainContextSize);
      const context = await model.createContext({
        contextSize,
        sequences: options.parallel,
        ...(options.threads ? { threads: options.threads } : {}),
      });
      const backend = new LlamaCppBackend(
        llama,
        model,
        context,
        new SequencePool(Array.from({ length: options.parallel }, () => context.getSequence())),
        {
          id: "llama-cpp",
          model: options.modelId ?? basename(options.modelPath),
          device: onGpu ? "cuda" : "cpu",
          contextSize,
        },
      );
      options.log.info(
        {
          model: backend.description.model,
          device: backend.description.device,
          contextSize,
          parallel: options.parallel,
        },
        "llama.cpp model loaded",
      );
      return backend;
    } catch (error) {
      await llama.dispose().catch(() => undefined);
      throw new LlmBackendError(
        `llama.cpp could not load ${basename(options.modelPath)}: ${(error as Error).message}`,
        "model-missing",
        { cause: error },
      );
    }
  }

  async health(): Promise<LlmHealth> {
    return this.closed ? { ok: false, detail: "closed" } : { ok: true };
  }

  describe(): LlmDescription {
    return { ...this.description };
  }

  generate(request: GenerateRequest, onFinish?: (reason: FinishReason) => void): AsyncIterable<string> {
    const queue = new TokenQueue();
    void this.run(request, queue).then(
      (reason) => {
        onFinish?.(reason);
        queue.end();
      },
      (error: unknown) => {
        if (request.signal?.aborted) {
          onFinish?.("aborted");
          queue.end();
        } else {
          queue.end(
            error instanceof LlmBackendError
              ? error
              : new LlmBackendError((error as Error).message, "failed", { cause: error }),
          );
        }
      },
    );
    return queue;
  }

  private async run(request: GenerateRequest, queue: TokenQueue): Promise<FinishReason> {
    if (this.closed) throw new LlmBackendError("The llama.cpp backend is closed", "unavailable");
    const { history, prompt } = toHistory(request);
    const sequence = await this.pool.take(request.signal);
    try {
      const session = new LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
      try {
        session.setChatHistory(history);
        const result = await session.promptWithMeta(prompt, {
          maxTokens: request.maxTokens,
          temperature: request.temperature,
          ...(request.signal ? { signal: request.signal, stopOnAbortSignal: true } : {}),
          onTextChunk: (text) => queue.push(text),
        });
        if (result.stopReason === "abort" || request.signal?.aborted) return "aborted";
        return result.stopReason === "maxTokens" ? "length" : "stop";
      } finally {
        session.dispose({ disposeSequence: false });
      }
    } finally {
      await this.pool.give(sequence);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
