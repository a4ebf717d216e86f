/** One chat turn as the edge sends it; the system prompt travels separately. */
export interface LlmMessage {
  role: "user" | "assistant";
  content: string;
}

export interface GenerateRequest {
  system?: string;
  messages: readonly LlmMessage[];
  maxTokens: number;
  temperature: number;
  /** Aborts generation: a client that went away, or a deadline. The stream then ends early, without error. */
  signal?: AbortSignal;
}

export type FinishReason = "stop" | "length" | "aborted";

export interface LlmHealth {
  ok: boolean;
  detail?: string;
}

export interface LlmDescription {
  id: "ollama" | "llama-cpp";
  /** The model tag (Ollama) or model id / file name (llama.cpp). */
  model: string;
  /** Where it runs, when the node decides it (llama.cpp); Ollama decides for itself. */
  device?: "cuda" | "cpu";
  contextSize?: number;
  /** Ollama's base URL, without credentials. */
  url?: string;
}

/**
 * A text generator the node can put behind `/v1/chat/stream`: Ollama over HTTP, or llama.cpp in-process.
 * `generate` yields text pieces as the model produces them; `lastFinishReason` style state is avoided by
 * reporting the reason through `onFinish`, so concurrent generations never see each other's outcome.
 */
export interface LlmBackend {
  readonly id: LlmDescription["id"];
  health(): Promise<LlmHealth>;
  generate(request: GenerateRequest, onFinish?: (reason: FinishReason) => void): AsyncIterable<string>;
  describe(): LlmDescription;
  close(): Promise<void>;
}

/** Thrown when the backend itself fails (Ollama down, model missing, llama.cpp error), as opposed to an abort. */
export class LlmBackendError extends Error {
  override name = "LlmBackendError";
  constructor(
    message: string,
    readonly kind: "unavailable" | "model-missing" | "failed",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A push-to-pull bridge: callback-style producers (llama.cpp's onTextChunk) feed it, the route consumes it
 * with `for await`. Pieces are buffered, so a slow consumer never drops tokens.
 */
export class TokenQueue implements AsyncIterable<string> {
  private readonly items: string[] = [];
  private waiting: (() => void) | undefined;
  private ended = false;
  private failure: unknown;

  push(text: string): void {
    if (this.ended || text.length === 0) return;
    this.items.push(text);
    this.wake();
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.wake();
  }

  private wake(): void {
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      const next = this.items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.ended) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }
}
