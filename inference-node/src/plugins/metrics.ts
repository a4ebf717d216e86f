import type { FastifyPluginAsync } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from "prom-client";
import type { InferenceRuntime } from "../runtime/runtime.ts";
import { globalPlugin } from "./global-plugin.ts";

export interface MetricsOptions extends Record<string, unknown> {
  version: string;
  device: string;
  /** The models' batchers; their queue, batch sizes, latencies and errors are exported when given. */
  runtime?: InferenceRuntime;
  /** One registry per app, so several apps in one process (tests) do not collide; `metricsRoute` serves it. */
  registry: Registry;
}

export const metrics = globalPlugin<MetricsOptions>("metrics", async (fastify, options) => {
  const registry = options.registry;
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

  const runtime = options.runtime;
  if (runtime) {
    new Gauge({
      name: "inkwell_node_queue_depth",
      help: "Texts waiting for a batch, over all models",
      registers: [registry],
      collect() {
        this.set(runtime.load().queueDepth);
      },
    });
    new Gauge({
      name: "inkwell_node_queue_capacity",
      help: "Texts the queues accept before answering 503",
      registers: [registry],
      collect() {
        this.set(runtime.load().capacity);
      },
    });
    const batchSize = new Histogram({
      name: "inkwell_node_batch_size",
      help: "Texts per model call",
      labelNames: ["model"] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    });
    const latency = new Histogram({
      name: "inkwell_node_inference_duration_seconds",
      help: "Time of one batched model call, in seconds",
      labelNames: ["model"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const items = new Counter({
      name: "inkwell_node_inference_items_total",
      help: "Texts run through each model",
      labelNames: ["model"] as const,
      registers: [registry],
    });
    const errors = new Counter({
      name: "inkwell_node_inference_errors_total",
      help: "Model calls that failed",
      labelNames: ["model"] as const,
      registers: [registry],
    });
    for (const model of runtime.models) {
      items.inc({ model: model.id }, 0);
      errors.inc({ model: model.id }, 0);
    }
    runtime.observe({
      batch(model, stats) {
        batchSize.observe({ model }, stats.size);
        latency.observe({ model }, stats.seconds);
        items.inc({ model }, stats.size);
      },
      error(model) {
        errors.inc({ model });
      },
    });
  }

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
});

/** Prometheus' scrape target, on the node's private listener only (config `admin`). */
export const metricsRoute: FastifyPluginAsync<{ registry: Registry }> = async (fastify, { registry }) => {
  fastify.get("/metrics", async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
