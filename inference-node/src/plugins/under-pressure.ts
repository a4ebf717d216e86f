import underPressure from "@fastify/under-pressure";
import { globalPlugin } from "./global-plugin.ts";

/**
 * Sheds load with 503 + Retry-After when the event loop falls a second behind. QStash retries such
 * deliveries later, which is exactly what an overloaded home GPU box wants; the error handler renders the 503.
 * Delay, not utilisation: a node busy with inference is meant to keep its loop busy, and shedding on
 * utilisation refused chats and safety checks on a node that was still answering in milliseconds.
 */
export const loadShedding = globalPlugin("load-shedding", async (fastify) => {
  await fastify.register(underPressure, {
    maxEventLoopDelay: 1000,
    retryAfter: 10,
    message: "The inference node is overloaded; retry later",
  });
});
