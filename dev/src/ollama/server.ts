import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the parts of Ollama's HTTP API the inference node uses (`/api/tags`, `/api/chat`,
 * `/api/pull`, `/api/version`), so the Ollama backend is tested through the official `ollama` client without
 * an Ollama binary (none installs offline). Replies are deterministic: the assistant echoes the last user
 * message word by word, which lets tests check what reached the "model".
 *
 * Wire format as Ollama sends it: streaming replies are NDJSON, one JSON object per line, the last with
 * `done: true`; errors are `{ "error": "…" }` with a 4xx/5xx status, or an `error` line mid-stream.
 */

export interface StandInModel {
  /** The tag, e.g. "llama3.2:3b". */
  name: string;
  sizeBytes?: number;
}

export interface OllamaStandInOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  models?: StandInModel[];
  /** Delay between streamed tokens; tests of cancellation need generation to take a while. */
  tokenDelayMs?: number;
  /** After this many tokens, a streamed chat sends an `error` line and ends (a model crash mid-answer). */
  failAfterTokens?: number;
  /** Tags that `/api/pull` can fetch; anything else answers "file does not exist". */
  pullable?: string[];
}

export interface ChatRecord {
  model: string;
  messages: { role: string; content: string }[];
  options: Record<string, unknown>;
  stream: boolean;
  /** Set when the client went away before the answer finished. */
  aborted: boolean;
  tokensSent: number;
}

export interface OllamaStandIn {
  url: string;
  chats: ChatRecord[];
  /** Adds or replaces behaviour while running. */
  configure(options: Partial<Omit<OllamaStandInOptions, "host" | "port">>): void;
  close(): Promise<void>;
}

const digestOf = (name: string) => Buffer.from(name).toString("hex").padEnd(64, "0").slice(0, 64);

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The echo reply, split the way a tokenizer roughly would: words with their leading space. */
function replyTokens(messages: { role: string; content: string }[]): string[] {
  const lastUser = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const words = `You said: ${lastUser}`.split(/\s+/).filter(Boolean);
  return words.map((word, i) => (i === 0 ? word : ` ${word}`));
}

export async function startOllamaStandIn(options: OllamaStandInOptions = {}): Promise<OllamaStandIn> {
  const state = {
    models: new Map((options.models ?? []).map((m) => [m.name, m])),
    tokenDelayMs: options.tokenDelayMs ?? 0,
    failAfterTokens: options.failAfterTokens,
    pullable: new Set(options.pullable ?? []),
  };
  const chats: ChatRecord[] = [];

  // Ollama accepts "llama3.2" for "llama3.2:latest".
  const findModel = (name: string) => state.models.get(name) ?? state.models.get(`${name}:latest`);

  const handleChat = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readJson(request);
    if (!body || typeof body.model !== "string" || !Array.isArray(body.messages)) {
      sendJson(response, 400, { error: "invalid request: model and messages are required" });
      return;
    }
    const model = findModel(body.model);
    if (!model) {
      sendJson(response, 404, { error: `model "${body.model}" not found, try pulling it first` });
      return;
    }
    const messages = (body.messages as { role?: unknown; content?: unknown }[]).map((m) => ({
      role: String(m.role ?? ""),
      content: String(m.content ?? ""),
    }));
    const optionsIn = (
      typeof body.options === "object" && body.options !== null ? body.options : {}
    ) as Record<string, unknown>;
    const stream = body.stream !== false;
    const record: ChatRecord = {
      model: model.name,
      messages,
      options: optionsIn,
      stream,
      aborted: false,
      tokensSent: 0,
    };
    chats.push(record);

    const all = replyTokens(messages);
    const limit =
      typeof optionsIn.num_predict === "number" && optionsIn.num_predict >= 0
        ? optionsIn.num_predict
        : Infinity;
    const tokens = all.slice(0, limit);
    const doneReason = tokens.length < all.length ? "length" : "stop";
    const final = {
      model: model.name,
      created_at: new Date().toISOString(),
      message: { role: "assistant", content: "" },
      done: true,
      done_reason: doneReason,
      total_duration: 1000,
      load_duration: 10,
      prompt_eval_count: messages.reduce((n, m) => n + m.content.split(/\s+/).length, 0),
      prompt_eval_duration: 100,
      eval_count: tokens.length,
      eval_duration: 500,
    };

    if (!stream) {
      await sleep(state.tokenDelayMs * tokens.length);
      record.tokensSent = tokens.length;
      sendJson(response, 200, { ...final, message: { role: "assistant", content: tokens.join("") } });
      return;
    }

    let closed = false;
    response.on("close", () => {
      if (!response.writableFinished) {
        closed = true;
        record.aborted = true;
      }
    });
    response.writeHead(200, { "content-type": "application/x-ndjson" });
    for (const token of tokens) {
      if (closed) return;
      if (state.failAfterTokens !== undefined && record.tokensSent >= state.failAfterTokens) {
        response.end(`${JSON.stringify({ error: "model runner has unexpectedly stopped" })}\n`);
        return;
      }
      if (state.tokenDelayMs > 0) await sleep(state.tokenDelayMs);
      if (closed) return;
      response.write(
        `${JSON.stringify({ model: model.name, created_at: new Date().toISOString(), message: { role: "assistant", content: token }, done: false })}\n`,
      );
      record.tokensSent += 1;
    }
    if (!closed) response.end(`${JSON.stringify(final)}\n`);
  };

  const handlePull = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readJson(request);
    const name =
      typeof body?.model === "string" ? body.model : typeof body?.name === "string" ? body.name : "";
    if (!state.pullable.has(name) && !findModel(name)) {
      sendJson(response, 500, { error: "pull model manifest: file does not exist" });
      return;
    }
    const total = 4 * 1024 * 1024;
    const steps = [
      { status: "pulling manifest" },
      ...[0.25, 0.5, 1].map((share) => ({
        status: `pulling ${digestOf(name).slice(0, 12)}`,
        digest: `sha256:${digestOf(name)}`,
        total,
        completed: Math.round(total * share),
      })),
      { status: "verifying sha256 digest" },
      { status: "writing manifest" },
      { status: "success" },
    ];
    state.models.set(name, { name, sizeBytes: total });
    if (body?.stream === false) {
      sendJson(response, 200, { status: "success" });
      return;
    }
    response.writeHead(200, { "content-type": "application/x-ndjson" });
    for (const step of steps) response.write(`${JSON.stringify(step)}\n`);
    response.end();
  };

  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const route = `${request.method} ${path}`;
    const fail = (error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
      else response.destroy();
    };
    switch (route) {
      case "GET /":
      case "HEAD /":
        response.writeHead(200, { "content-type": "text/plain" });
        response.end("Ollama is running");
        return;
      case "GET /api/version":
        sendJson(response, 200, { version: "0.0.0-inkwell-stand-in" });
        return;
      case "GET /api/tags":
        sendJson(response, 200, {
          models: [...state.models.values()].map((m) => ({
            name: m.name,
            model: m.name,
            modified_at: new Date(0).toISOString(),
            size: m.sizeBytes ?? 1024,
            digest: digestOf(m.name),
            details: {
              parent_model: "",
              format: "gguf",
              family: "llama",
              families: ["llama"],
              parameter_size: "1B",
              quantization_level: "Q4_K_M",
            },
          })),
        });
        return;
      case "POST /api/chat":
        handleChat(request, response).catch(fail);
        return;
      case "POST /api/pull":
        handlePull(request, response).catch(fail);
        return;
      default:
        sendJson(response, 404, { error: "404 page not found" });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    chats,
    configure(changes) {
      if (changes.models) state.models = new Map(changes.models.map((m) => [m.name, m]));
      if (changes.tokenDelayMs !== undefined) state.tokenDelayMs = changes.tokenDelayMs;
      if ("failAfterTokens" in changes) state.failAfterTokens = changes.failAfterTokens;
      if (changes.pullable) state.pullable = new Set(changes.pullable);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
