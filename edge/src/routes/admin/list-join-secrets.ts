import { createRoute } from "@hono/zod-openapi";
import { joinSecretListSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { listJoinSecrets } from "../../services/node-enrollment.ts";
import { adminOnly } from "./common.ts";

const route = createRoute({
  method: "get",
  path: "/v1/admin/join-secrets",
  tags: ["Operators"],
  summary: "Join secrets (never the secrets themselves), newest first, with how many nodes each enrolled",
  security: [{ bearer: [] }],
  middleware: adminOnly(),
  responses: {
    200: {
      description: "Every join secret",
      content: { "application/json": { schema: joinSecretListSchema } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export const getJoinSecrets = createRouter().openapi(route, async (c) => {
  return c.json({ items: await listJoinSecrets(c.get("services").db) }, 200);
});
