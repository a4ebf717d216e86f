import type { FastifyReply } from "fastify";
import type { Timing } from "../runtime/batcher.ts";

/** Server-Timing and x-* headers, as text-embeddings-inference sends them, so callers see where time went. */
export function setTimingHeaders(reply: FastifyReply, timing: Timing): void {
  reply.header(
    "server-timing",
    `queue;dur=${timing.queueMs.toFixed(2)}, inference;dur=${timing.inferenceMs.toFixed(2)}`,
  );
  reply.header("x-queue-time-ms", timing.queueMs.toFixed(2));
  reply.header("x-inference-time-ms", timing.inferenceMs.toFixed(2));
  reply.header("x-batch-size", String(timing.batchSize));
}
