import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["Health"],
  summary: "Liveness: answers without touching any dependency",
  responses: {
    200: {
      description: "The Worker is running",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

export const getHealth = createRouter().openapi(route, (c) => c.json({ status: "ok" as const }, 200));
