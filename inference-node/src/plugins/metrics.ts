import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { globalPlugin } from "./global-plugin.ts";

export interface MetricsOptions extends Record<string, unknown> {
  version: string;
  device: string;
  /** A fresh registry per app by default, so several apps in one process (tests) do not collide. */
  registry?: Registry;
}

export const metrics = globalPlugin<MetricsOptions>("metrics", async (fastify, options) => {
  const registry = options.registry ?? new Registry();
  collectDefaultMetrics({ register: registry });

  const labelNames = ["method", "route", "status_code"] as const;
  const requests = new Counter({
    name: "inkwell_node_http_requests_total",
    help: "HTTP requests handled by the inference node",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "inkwell_node_http_request_duration_seconds",
    help: "Time to answer an HTTP request, in seconds",
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: "inkwell_node_info",
    help: "Always 1; labels describe the node",
    labelNames: ["version", "device"] as const,
    registers: [registry],
  }).set({ version: options.version, device: options.device }, 1);

  fastify.addHook("onResponse", async (request, reply) => {
    // The route pattern, not the raw URL: scanners probing random paths must not create new series.
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? "unmatched",
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  fastify.get("/metrics", async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
});
