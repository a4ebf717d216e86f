import underPressure from "@fastify/under-pressure";
import { globalPlugin } from "./global-plugin.ts";

/**
 * Sheds load with 503 + Retry-After when the event loop is saturated. QStash retries such deliveries
 * later, which is exactly what an overloaded home GPU box wants; the error handler renders the 503.
 */
export const loadShedding = globalPlugin("load-shedding", async (fastify) => {
  await fastify.register(underPressure, {
    maxEventLoopDelay: 1000,
    maxEventLoopUtilization: 0.98,
    retryAfter: 10,
    message: "The inference node is overloaded; retry later",
  });
});
