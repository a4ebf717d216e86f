import { type ChatResponse, type Message, Ollama, type ProgressResponse } from "ollama";
import {
  type FinishReason,
  type GenerateRequest,
  type LlmBackend,
  LlmBackendError,
  type LlmDescription,
  type LlmHealth,
} from "./backend.ts";

export interface OllamaOptions {
  url: string;
  model: string;
  /** Bounds each health/list call; generation is bounded by the route's own deadline. */
  requestTimeoutMs?: number;
}

export interface OllamaStatus {
  reachable: boolean;
  modelPresent: boolean;
  /** Tags installed on the server, for the /info page and the log. */
  models: string[];
  detail?: string;
}

/** Ollama treats "llama3.2" and "llama3.2:latest" as the same tag. */
function sameTag(a: string, b: string): boolean {
  const full = (tag: string) => (tag.includes(":") ? tag : `${tag}:latest`);
  return full(a) === full(b);
}

/** The URL without credentials, safe to log and show. */
function displayUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.toString().replace(/\/$/, "");
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { status_code?: unknown }).status_code;
  return typeof code === "number" ? code : undefined;
}

/** Talks to an Ollama server through the official client: streaming chat, model listing and pulls. */
export class OllamaBackend implements LlmBackend {
  readonly id = "ollama" as const;
  private readonly client: Ollama;
  private readonly timeoutMs: number;

  constructor(private readonly options: OllamaOptions) {
    this.timeoutMs = options.requestTimeoutMs ?? 3000;
    // Every call gets its own deadline signal, so a hung server cannot stall boot or /info.
    this.client = new Ollama({ host: options.url });
  }

  /** Whether the server answers and has the configured model; never throws. */
  async status(): Promise<OllamaStatus> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs).unref(),
    );
    try {
      const list = await Promise.race([this.client.list(), timeout]);
      const models = list.models.map((m) => m.name);
      const modelPresent = models.some((name) => sameTag(name, this.options.model));
      return {
        reachable: true,
        modelPresent,
        models,
        ...(modelPresent ? {} : { detail: `model ${this.options.model} is not pulled on the server` }),
      };
    } catch (error) {
      return { reachable: false, modelPresent: false, models: [], detail: (error as Error).message };
    }
  }

  async health(): Promise<LlmHealth> {
    const status = await this.status();
    return status.reachable && status.modelPresent
      ? { ok: true }
      : { ok: false, detail: status.detail ?? "unavailable" };
  }

  describe(): LlmDescription {
    return { id: "ollama", model: this.options.model, url: displayUrl(this.options.url) };
  }

  async *generate(
    request: GenerateRequest,
    onFinish?: (reason: FinishReason) => void,
  ): AsyncIterable<string> {
    const messages: Message[] = [
      ...(request.system ? [{ role: "system", content: request.system }] : []),
      ...request.messages.map((m) => ({ role: m.role, content: m.content })),
    ];
    if (request.signal?.aborted) {
      onFinish?.("aborted");
      return;
    }
    let stream: AsyncIterable<ChatResponse> & { abort(): void };
    try {
      stream = await this.client.chat({
        model: this.options.model,
        messages,
        stream: true,
        options: { num_predict: request.maxTokens, temperature: request.temperature },
      });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) {
        throw new LlmBackendError(`Ollama has no model ${this.options.model}`, "model-missing", {
          cause: error,
        });
      }
      throw new LlmBackendError(`Ollama did not answer: ${(error as Error).message}`, "unavailable", {
        cause: error,
      });
    }
    // Aborting the client's iterator closes the HTTP request, which makes Ollama stop generating.
    const onAbort = () => stream.abort();
    request.signal?.addEventListener("abort", onAbort, { once: true });
    let reason: FinishReason = "stop";
    try {
      for await (const part of stream) {
        if (part.message?.content) yield part.message.content;
        if (part.done) reason = part.done_reason === "length" ? "length" : "stop";
      }
    } catch (error) {
      if (request.signal?.aborted) {
        reason = "aborted";
      } else {
        throw new LlmBackendError(`Ollama failed mid-answer: ${(error as Error).message}`, "failed", {
          cause: error,
        });
      }
    } finally {
      request.signal?.removeEventListener("abort", onAbort);
      // A consumer that stops early (client gone) must also stop Ollama.
      stream.abort();
    }
    onFinish?.(request.signal?.aborted ? "aborted" : reason);
  }

  /** Pulls the configured (or another) tag, reporting progress; used by the pull command. */
  async pull(
    tag: string = this.options.model,
    onProgress?: (progress: ProgressResponse) => void,
  ): Promise<void> {
    try {
      for await (const progress of await this.client.pull({ model: tag, stream: true }))
        onProgress?.(progress);
    } catch (error) {
      throw new LlmBackendError(`Ollama could not pull ${tag}: ${(error as Error).message}`, "failed", {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    this.client.abort();
  }
}
