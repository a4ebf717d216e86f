import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../lib/openapi.ts";
import { peppersFromConfig } from "../../lib/password.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { deleteAccount } from "../../services/account-deletion.ts";
import { confirmPassword } from "../../services/accounts.ts";
import { dispatchJob } from "../../services/job-dispatch.ts";
import { inBackground, pipelineDeps } from "../../services/pipeline-context.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/me",
  tags: ["Account"],
  summary:
    "Delete your account and everything in it, for good. Needs your password again and a signed-in session (not an API key).",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ password: z.string({ error: "password is required" }).max(1024) }),
        },
      },
    },
  },
  responses: {
    202: {
      description: "Deleted; vectors are being purged from every node",
      content: {
        "application/json": { schema: z.object({ deleted: z.literal(true), purgeJobId: z.string() }) },
      },
    },
    ...problemResponses(400, 401, 403, 423, 429),
  },
});

export const deleteMe = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const auth = c.get("auth");
  // The password again, not just a token: a stolen access token must not be enough to erase a journal.
  const { password } = c.req.valid("json");
  // Counted by the sign-in lockout like every password check, so a stolen token cannot guess with it.
  await confirmPassword(services.db, peppersFromConfig(services.config), auth.userId, password, "password");
  const { purgeJobId } = await deleteAccount(services, auth.userId);
  inBackground(c, "dispatching the vector purge", () => dispatchJob(pipelineDeps(c), purgeJobId));
  return c.json({ deleted: true as const, purgeJobId }, 202);
});
