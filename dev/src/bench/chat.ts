import path from "node:path";
import { parseServerSentEvent } from "@inkwell/edge/client";
import { SESSION_TYPES } from "@inkwell/edge/services/chat-prompts";
import { writeTinyLlamaGguf } from "@inkwell/inference-node/testing/tiny-gguf";
import {
  deriveNodeToken,
  EDGE_SIGNATURE_HEADER,
  knowledgeSearchResponseSchema,
  signEdgeRequest,
} from "@inkwell/shared";
import postgres from "postgres";
import { eventually } from "../testing/eventually.ts";
import { registerBenchWriter, startBenchStack } from "./bench-stack.ts";
import { percentile } from "./stats.ts";

/** Runs per path; CHAT_BENCH_RUNS overrides. */
const RUNS = Number(process.env.CHAT_BENCH_RUNS ?? 8);
/** What the edge asks of the node for every reply (edge/src/services/chat-llm.ts). */
const MAX_TOKENS = 400;

export interface StreamFigures {
  runs: number;
  errors: number;
  /** From sending the request to the first token event. */
  ttftP50Ms: number;
  ttftP90Ms: number;
  /**
   * Reply text after the first token event, in characters, over the time from the first event to the
   * last: comparable across paths that put one token or several in an event.
   */
  charsPerSecondP50: number;
  charsPerSecondMean: number;
  charsPerRun: number;
  /** Token events per reply: one per token from the node, fewer through the Worker, which joins them. */
  eventsPerRun: number;
  totalP50Ms: number;
}

export interface ChatBenchResult {
  backend: "llama-cpp";
  model: { file: string; bytes: number; parameters: number };
  maxTokens: number;
  threads: number;
  worker: StreamFigures;
  direct: StreamFigures;
  /** Worker ÷ direct: above 1 means the path through the Worker is slower. */
  overhead: { ttftP50Ratio: number; charsPerSecondRatio: number; totalP50Ratio: number };
  note: string;
}

interface Run {
  ok: boolean;
  ttftMs: number;
  totalMs: number;
  events: number;
  chars: number;
  charsPerSecond: number;
}

const FAILED_RUN: Run = { ok: false, ttftMs: 0, totalMs: 0, events: 0, chars: 0, charsPerSecond: 0 };

/** The text of an SSE `token` event. */
function sseTokenText(block: string): string | undefined {
  const { event, data } = parseServerSentEvent(block);
  return event === "token" ? (JSON.parse(data) as { text: string }).text : undefined;
}

/** The text of a node NDJSON `token` line. */
function ndjsonTokenText(line: string): string | undefined {
  if (!line.includes('"type":"token"')) return undefined;
  const event = JSON.parse(line) as { type: string; text?: string };
  return event.type === "token" ? (event.text ?? "") : undefined;
}

/** Reads a stream of events (SSE blocks or NDJSON lines) and times its token events. */
async function timeStream(
  started: number,
  body: ReadableStream<Uint8Array>,
  separator: string,
  tokenText: (chunk: string) => string | undefined,
): Promise<Run> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let first = 0;
  let last = 0;
  let events = 0;
  let chars = 0;
  let firstChars = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffer += value;
    let end = buffer.indexOf(separator);
    while (end >= 0) {
      const chunk = buffer.slice(0, end);
      buffer = buffer.slice(end + separator.length);
      const text = tokenText(chunk);
      if (text !== undefined) {
        last = performance.now();
        if (events === 0) {
          first = last;
          firstChars = text.length;
        }
        events += 1;
        chars += text.length;
      }
      end = buffer.indexOf(separator);
    }
    if (done) break;
  }
  const totalMs = performance.now() - started;
  return {
    ok: events > 0,
    ttftMs: first - started,
    totalMs,
    events,
    chars,
    charsPerSecond: last > first ? (chars - firstChars) / ((last - first) / 1000) : 0,
  };
}

function summarise(runs: Run[]): StreamFigures {
  const ok = runs.filter((r) => r.ok);
  const sorted = (pick: (r: Run) => number) => ok.map(pick).sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  const rates = sorted((r) => r.charsPerSecond);
  const perRun = (pick: (r: Run) => number) =>
    round(ok.reduce((a, r) => a + pick(r), 0) / Math.max(1, ok.length));
  return {
    runs: runs.length,
    errors: runs.length - ok.length,
    ttftP50Ms: round(
      percentile(
        sorted((r) => r.ttftMs),
        50,
      ),
    ),
    ttftP90Ms: round(
      percentile(
        sorted((r) => r.ttftMs),
        90,
      ),
    ),
    charsPerSecondP50: round(percentile(rates, 50)),
    charsPerSecondMean: round(rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length)),
    charsPerRun: perRun((r) => r.chars),
    eventsPerRun: perRun((r) => r.events),
    totalP50Ms: round(
      percentile(
        sorted((r) => r.totalMs),
        50,
      ),
    ),
  };
}

/**
 * Chat streaming through the Worker versus straight from the node: time to first token and tokens per
 * second of `POST /v1/sessions/{id}/messages` (SSE, through `wrangler dev`) and of the node's own
 * `POST /v1/chat/stream` (NDJSON, edge-signed), on one llama.cpp node running the generated random-weight
 * model, runs of the two paths interleaved so both see the same machine.
 */
export async function chatBench(log: (m: string) => void): Promise<ChatBenchResult> {
  const { stack, dataDir, secrets } = await startBenchStack(
    "chat",
    ["postgres", "redis", "qstash", "chroma", "edge"],
    log,
  );
  const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const model = writeTinyLlamaGguf(path.join(dataDir, "tiny-chat.gguf"), { contextLength: 4096 });
    const threads = 1;
    log("starting a llama.cpp node with the generated model");
    const node = await stack.startNode("bench-llm", {
      LLM_BACKEND: "llama-cpp",
      LLAMA_GGUF_PATH: model.path,
      LLM_CONTEXT_SIZE: "4096",
      LLM_THREADS: String(threads),
      HEARTBEAT_INTERVAL_MS: "1000",
    });
    const { salt } = await eventually(
      async () => {
        const [row] = await sql<{ ready: boolean; salt: string | null }[]>`
          select status = 'healthy' and models @> '[{"task":"llm"}]'::jsonb as ready, token_salt as salt
          from nodes where id = ${node.id}`;
        return row?.ready ? row : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "the node to report its language model" },
    );
    if (!salt) throw new Error("the node has no token salt");
    const nodeToken = await deriveNodeToken(secrets.NODE_TOKEN_SECRET, node.id, salt);

    const { accessToken } = await registerBenchWriter(stack.edgeUrl);
    const auth = { Authorization: `Bearer ${accessToken}` };

    const message = (i: number) => `Today was long and I feel tired; what could help me rest? (${i})`;
    const viaWorker = async (i: number): Promise<Run> => {
      // A fresh session per run, so every prompt has the same (empty) history.
      const created = await fetch(`${stack.edgeUrl}/v1/sessions`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ type: "free_chat" }),
      });
      const { id } = (await created.json()) as { id: string };
      const started = performance.now();
      const res = await fetch(`${stack.edgeUrl}/v1/sessions/${id}/messages`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ content: message(i) }),
      });
      if (!res.ok || !res.body) return FAILED_RUN;
      return await timeStream(started, res.body, "\n\n", sseTokenText);
    };
    const signed = async (apiPath: string, body: string) => ({
      "Content-Type": "application/json",
      [EDGE_SIGNATURE_HEADER]: await signEdgeRequest({ nodeToken, method: "POST", path: apiPath, body }),
    });
    const quote = (text: string) => text.replaceAll("<", "‹").replaceAll(">", "›");
    /**
     * The prompt the edge builds for a free_chat message of a person with no entries: the session's
     * prompt and the knowledge passages the node finds for the message (edge/src/services/chat.ts), so
     * both paths generate from the same context and only the relay differs once tokens flow.
     */
    const groundedPrompt = async (text: string): Promise<string> => {
      const body = JSON.stringify({
        query: text,
        limit: SESSION_TYPES.free_chat.emphasis.knowledge,
      });
      const res = await fetch(`${node.url}/v1/knowledge/search`, {
        method: "POST",
        headers: await signed("/v1/knowledge/search", body),
        body,
      });
      const found = knowledgeSearchResponseSchema.parse(await res.json());
      const blocks = [SESSION_TYPES.free_chat.systemPrompt];
      if (found.items.length > 0) {
        blocks.push(
          `<knowledge>\n${found.items.map((k) => `<passage id="${k.id}" title="${quote(k.title)}">${quote(k.text)}</passage>`).join("\n")}\n</knowledge>`,
        );
      }
      return blocks.join("\n\n");
    };
    const direct = async (i: number): Promise<Run> => {
      const body = JSON.stringify({
        system: await groundedPrompt(message(i)),
        messages: [{ role: "user", content: message(i) }],
        maxTokens: MAX_TOKENS,
        temperature: 0.7,
      });
      const started = performance.now();
      const res = await fetch(`${node.url}/v1/chat/stream`, {
        method: "POST",
        headers: await signed("/v1/chat/stream", body),
        body,
      });
      if (!res.ok || !res.body) return FAILED_RUN;
      return await timeStream(started, res.body, "\n", ndjsonTokenText);
    };

    log("warming up both paths");
    await viaWorker(-1);
    await direct(-1);
    const workerRuns: Run[] = [];
    const directRuns: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, alternating which goes first, so load from anything else on the machine hits both.
      const order = i % 2 === 0 ? [viaWorker, direct] : [direct, viaWorker];
      for (const run of order) {
        const result = await run(i);
        (run === viaWorker ? workerRuns : directRuns).push(result);
      }
      log(`run ${i + 1}/${RUNS} done`);
    }
    const worker = summarise(workerRuns);
    const straight = summarise(directRuns);
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    return {
      backend: "llama-cpp",
      model: { file: path.basename(model.path), bytes: model.bytes, parameters: model.parameters },
      maxTokens: MAX_TOKENS,
      threads,
      worker,
      direct: straight,
      overhead: {
        ttftP50Ratio: ratio(worker.ttftP50Ms, straight.ttftP50Ms),
        charsPerSecondRatio: ratio(worker.charsPerSecondP50, straight.charsPerSecondP50),
        totalP50Ratio: ratio(worker.totalP50Ms, straight.totalP50Ms),
      },
      note: "Both paths generate from the same prompt (the session type's prompt plus the knowledge passages the node finds for the message; the direct call fetches them before its clock starts). The Worker's time to first token includes its own work before generation: auth, storing the message, the safety check, retrieval (an embedding call to the node) and node selection; its text rate includes relaying the node's NDJSON tokens as SSE events (joined within 25 ms) through wrangler dev.",
    };
  } finally {
    await sql.end({ timeout: 2 });
    await stack.stop();
  }
}
