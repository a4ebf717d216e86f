import { type ChatStreamEvent, chatStreamRequestSchema, InkwellError } from "@inkwell/shared";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { zodFieldErrors } from "../plugins/error-handler.ts";
import { type FinishReason, LlmBackendError } from "./backend.ts";
import type { LlmRuntime } from "./select-backend.ts";

export interface ChatStreamRouteOptions extends Record<string, unknown> {
  llm: LlmRuntime;
}

function wantsSse(accept: string | undefined): boolean {
  return (
    accept?.split(",").some((part) => part.trim().toLowerCase().startsWith("text/event-stream")) ?? false
  );
}

/** One event in the chosen framing: an NDJSON line, or an SSE event named after its type. */
function frame(event: ChatStreamEvent, sse: boolean): string {
  const json = JSON.stringify(event);
  return sse ? `event: ${event.type}\ndata: ${json}\n\n` : `${json}\n`;
}

function errorEvent(error: unknown): ChatStreamEvent {
  if (error instanceof LlmBackendError) {
    return {
      type: "error",
      code: error.kind === "failed" ? "UPSTREAM_UNAVAILABLE" : "SERVICE_UNAVAILABLE",
      detail: error.message,
    };
  }
  return { type: "error", code: "INTERNAL", detail: "Generation failed" };
}

/**
 * Streams the node's LLM answer to the edge. Validation and "no backend" are answered with a status and a
 * problem body; once streaming has begun, a failure can only be reported in-band as an `error` event. The
 * client going away aborts generation (its signal reaches llama.cpp or closes the Ollama request), and a
 * deadline bounds every answer.
 */
export const chatStreamRoute: FastifyPluginAsync<ChatStreamRouteOptions> = async (fastify, { llm }) => {
  fastify.post("/v1/chat/stream", async (request, reply: FastifyReply) => {
    const parsed = chatStreamRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new InkwellError("VALIDATION_FAILED", "The request body is not valid", {
        errors: zodFieldErrors(parsed.error),
      });
    }
    const backend = llm.backend;
    if (!backend) {
      throw new InkwellError(
        "SERVICE_UNAVAILABLE",
        "This node has no LLM backend (LLM_BACKEND resolved to none)",
      );
    }
    const body = parsed.data;
    const sse = wantsSse(request.headers.accept);
    const started = performance.now();

    const abort = new AbortController();
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error("deadline"));
    }, llm.timeoutMs);
    deadline.unref();
    // "close" on the response before it finished means the edge (or its client) went away.
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) abort.abort(new Error("client closed"));
    });

    reply.hijack();
    reply.raw.writeHead(200, {
      "content-type": sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // Proxies (nginx) must not buffer a token stream.
      "x-accel-buffering": "no",
      "x-request-id": request.id,
    });
    const write = (event: ChatStreamEvent) => {
      if (!reply.raw.destroyed) reply.raw.write(frame(event, sse));
    };

    const description = backend.describe();
    write({ type: "start", backend: description.id, model: description.model });
    let tokens = 0;
    let finish: FinishReason = "stop";
    let outcome = "done";
    try {
      const stream = backend.generate(
        {
          ...(body.system ? { system: body.system } : {}),
          messages: body.messages,
          maxTokens: body.maxTokens,
          temperature: body.temperature,
          signal: abort.signal,
        },
        (reason) => {
          finish = reason;
        },
      );
      for await (const text of stream) {
        tokens += 1;
        write({ type: "token", text });
        if (abort.signal.aborted) break;
      }
      const finishReason = timedOut ? "timeout" : abort.signal.aborted ? "aborted" : finish;
      outcome = finishReason;
      write({ type: "done", finishReason, tokens, ms: Math.round(performance.now() - started) });
    } catch (error) {
      outcome = "error";
      request.log.warn({ err: (error as Error).message }, "generation failed");
      write(errorEvent(error));
    } finally {
      clearTimeout(deadline);
      reply.raw.end();
      // Counts and timings only: neither the prompt nor the answer is logged.
      request.log.info(
        {
          backend: description.id,
          tokens,
          outcome,
          ms: Math.round(performance.now() - started),
          messages: body.messages.length,
        },
        "chat stream finished",
      );
    }
  });
};
