import { createRoute } from "@hono/zod-openapi";
import { accountSecuritySchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { accountSecurity } from "../../services/account-security.ts";

const route = createRoute({
  method: "get",
  path: "/v1/me/security",
  tags: ["Account"],
  summary: "Recent sign-ins, the sessions still signed in, and the API keys of the account",
  description:
    "`signIns`: the latest 20 sign-ins (successful or not, kept 90 days) with the country and city Cloudflare saw (never the address) and the client's User-Agent (200 characters at most). `sessions`: every signed-in session (a sign-in and its refreshes) with where it began and its latest refresh; end one with `DELETE /v1/me/sessions/{id}`. `apiKeys`: as `GET /v1/api-keys` lists them; delete one with `DELETE /v1/api-keys/{id}`. Needs a signed-in session (not an API key).",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  responses: {
    200: {
      description: "The account's security view",
      content: { "application/json": { schema: accountSecuritySchema } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export const getSecurity = createRouter().openapi(route, async (c) => {
  return c.json(await accountSecurity(c.get("services"), c.get("auth").userId), 200);
});
