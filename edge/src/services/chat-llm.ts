import {
  type ChatStreamEvent,
  chatStreamEventSchema,
  EDGE_SIGNATURE_HEADER,
  InkwellError,
  knowledgeSearchResponseSchema,
  type SafetyResult,
  safetyResultSchema,
  signEdgeRequest,
} from "@inkwell/shared";
import type { Services } from "../hono-env.ts";
import { callNode, nodeBreaker } from "../lib/node-client.ts";
import type { KnowledgePassage, ReplyContext } from "./chat.ts";
import { nodeSigningToken, pickNode, schedulableNodes } from "./nodes.ts";

export interface LlmStream {
  model: string;
  tokens: AsyncIterable<string>;
}

/** Longest a node may take to start answering; the node bounds the whole answer itself. */
const FIRST_BYTE_TIMEOUT_MS = 15_000;
const MAX_REPLY_TOKENS = 400;

async function* ndjsonEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatStreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) {
          const parsed = chatStreamEventSchema.safeParse(JSON.parse(line));
          if (parsed.success) yield parsed.data;
        }
        newline = buffer.indexOf("\n");
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Opens a token stream from the least loaded node that serves a language model, or answers null when
 * none can (the caller then replies without one). Aborting `signal` closes the request, which stops
 * generation on the node.
 */
export async function openLlmStream(
  services: Services,
  context: ReplyContext,
  signal: AbortSignal,
  requestId: string,
): Promise<LlmStream | null> {
  return await openPromptStream(
    services,
    {
      system: context.system,
      messages: [...context.history, { role: "user", content: context.userMessage.content }],
      maxTokens: MAX_REPLY_TOKENS,
      temperature: 0.7,
    },
    signal,
    requestId,
  );
}

/** What the edge asks a node's model: the system text, the conversation (ending with the user's turn), limits. */
export interface LlmPrompt {
  system: string;
  messages: { role: "user" | "assistant"; content: string }[];
  maxTokens: number;
  temperature: number;
}

/** `openLlmStream` for any prompt: the same nodes, breaker and signing as a chat reply. */
export async function openPromptStream(
  services: Services,
  prompt: LlmPrompt,
  signal: AbortSignal,
  requestId: string,
): Promise<LlmStream | null> {
  const { db, config } = services;
  const candidates = (await schedulableNodes(db, config.NODE_HEARTBEAT_TTL_SECONDS, ["llm"])).filter(
    (n) => !nodeBreaker.isOpen(n.id),
  );
  const body = JSON.stringify(prompt);
  let pool = candidates;
  while (pool.length > 0) {
    const node = pickNode(pool);
    if (!node) break;
    pool = pool.filter((n) => n.id !== node.id);
    if (!nodeBreaker.allow(node.id)) continue;
    const signing = await nodeSigningToken(db, config.NODE_TOKEN_SECRET, node.id);
    if (!signing) continue;
    // Aborts the request when the client leaves, or when the node has not started answering in time.
    const request = new AbortController();
    const onAbort = () => request.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const firstByte = setTimeout(() => request.abort(), FIRST_BYTE_TIMEOUT_MS);
    try {
      const res = await fetch(`${signing.url}/v1/chat/stream`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Request-Id": requestId,
          [EDGE_SIGNATURE_HEADER]: await signEdgeRequest({
            nodeToken: signing.token,
            method: "POST",
            path: "/v1/chat/stream",
            body,
          }),
        },
        body,
        signal: request.signal,
      });
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        if (res.status >= 500) nodeBreaker.failure(node.id);
        continue;
      }
      const events = ndjsonEvents(res.body);
      const first = await events.next();
      clearTimeout(firstByte);
      if (first.done || first.value.type !== "start") {
        nodeBreaker.failure(node.id);
        continue;
      }
      nodeBreaker.success(node.id);
      const model = `${first.value.backend}:${first.value.model}`;
      async function* tokens(): AsyncGenerator<string> {
        for await (const event of events) {
          if (event.type === "token") yield event.text;
          else if (event.type === "error")
            throw new InkwellError("UPSTREAM_UNAVAILABLE", "The model stopped with an error.");
          else if (event.type === "done") return;
        }
      }
      return { model, tokens: tokens() };
    } catch (err) {
      clearTimeout(firstByte);
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) throw err;
      nodeBreaker.failure(node.id);
    }
  }
  return null;
}

/**
 * A whole answer from a node's model within `timeoutMs`, or null when no node serves a model, none
 * answered, or the answer did not finish in time: callers then compose the text themselves.
 */
export async function generateText(
  services: Services,
  prompt: LlmPrompt,
  requestId: string,
  timeoutMs: number,
): Promise<{ text: string; model: string } | null> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const llm = await openPromptStream(services, prompt, abort.signal, requestId);
    if (!llm) return null;
    let text = "";
    for await (const token of llm.tokens) text += token;
    return abort.signal.aborted ? null : { text, model: llm.model };
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Knowledge passages relevant to a message, from the nodes' knowledge base; none when unreachable. */
export async function knowledgeSearch(
  services: Services,
  text: string,
  limit: number,
): Promise<KnowledgePassage[]> {
  if (limit === 0) return [];
  try {
    const { data } = await callNode(
      { db: services.db, config: services.config },
      {
        path: "/v1/knowledge/search",
        body: { query: text.slice(0, 2000), limit },
        schema: knowledgeSearchResponseSchema,
        tasks: ["embedding"],
        timeoutMs: 3_000,
      },
    );
    return data.items.map((hit) => ({
      id: hit.id,
      title: hit.title,
      text: hit.text,
      techniques: hit.techniques,
    }));
  } catch {
    return [];
  }
}

/** How long a chat message waits for a node's reading before the edge's own assessment decides alone. */
const SAFETY_TIMEOUT_MS = 1_500;

/**
 * A node's rules-plus-meaning assessment of a chat message (the same assessor as entries), or null when no
 * node answers in time: the caller then relies on its own rules and lexical reader, so a message is always assessed.
 */
export async function nodeSafety(services: Services, text: string): Promise<SafetyResult | null> {
  try {
    const { data } = await callNode(
      { db: services.db, config: services.config },
      {
        path: "/v1/safety/assess",
        body: { text },
        schema: safetyResultSchema,
        tasks: ["embedding"],
        timeoutMs: SAFETY_TIMEOUT_MS,
        maxNodes: 1,
      },
    );
    return data;
  } catch {
    return null;
  }
}
