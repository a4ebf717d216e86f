import { createRoute, z } from "@hono/zod-openapi";
import { poolSignalSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { poolMetricsText, poolSignal } from "../../services/node-pool.ts";
import { adminOnly } from "./common.ts";

const jsonRoute = createRoute({
  method: "get",
  path: "/v1/admin/pool",
  tags: ["Operators"],
  summary:
    "The pool's signal for an autoscaler: jobs waiting per kind and task, the oldest wait, healthy and busy nodes",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  responses: {
    200: { description: "The pool now", content: { "application/json": { schema: poolSignalSchema } } },
    ...problemResponses(401, 403, 429),
  },
});

const metricsRoute = createRoute({
  method: "get",
  path: "/v1/admin/pool/metrics",
  tags: ["Operators"],
  summary: "The same signal in the Prometheus text format (scrape with an API key holding the admin scope)",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  responses: {
    200: {
      description: "Prometheus text exposition format 0.0.4",
      content: { "text/plain; version=0.0.4": { schema: z.string() } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export const getPool = createRouter()
  .openapi(jsonRoute, async (c) => {
    const { db, config } = c.get("services");
    c.header("Cache-Control", "no-store");
    return c.json(await poolSignal(db, config.NODE_HEARTBEAT_TTL_SECONDS), 200);
  })
  .openapi(metricsRoute, async (c) => {
    const { db, config } = c.get("services");
    c.header("Cache-Control", "no-store");
    const text = poolMetricsText(await poolSignal(db, config.NODE_HEARTBEAT_TTL_SECONDS));
    return c.text(text, 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });
