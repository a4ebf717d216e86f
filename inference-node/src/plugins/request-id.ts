import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { globalPlugin } from "./global-plugin.ts";

export const REQUEST_ID_HEADER = "x-request-id";

/**
 * The edge sets `Upstash-Forward-X-Request-Id` when it publishes; QStash delivers that as `X-Request-Id`,
 * so one id follows a job from the user's request to the node's logs. Anything that does not look like
 * an id is replaced, so a caller cannot inject log lines or huge headers through it.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function genRequestId(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export const requestId = globalPlugin("request-id", async (fastify) => {
  // onSend rather than onRequest: it also runs for error, 404 and load-shedding replies.
  fastify.addHook("onSend", async (request, reply, payload) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    return payload;
  });
});
