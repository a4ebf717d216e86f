import { createRoute } from "@hono/zod-openapi";
import { authTokensSchema, registerRequestSchema, uuidv7 } from "@inkwell/shared";
import { afterResponse } from "../../lib/after-response.ts";
import { createRouter } from "../../lib/openapi.ts";
import { peppersFromConfig } from "../../lib/password.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { limitByIp } from "../../middleware/rate-limit.ts";
import { recordSignIn, requestPlace } from "../../services/account-security.ts";
import { createUser, toUserView } from "../../services/accounts.ts";
import { startSession } from "../../services/sessions.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/register",
  tags: ["Auth"],
  summary: "Create an account and sign in",
  middleware: [limitByIp("register")],
  request: { body: { required: true, content: { "application/json": { schema: registerRequestSchema } } } },
  responses: {
    201: {
      description: "Account created and signed in",
      content: { "application/json": { schema: authTokensSchema } },
    },
    ...problemResponses(400, 409, 413, 415, 429, 503),
  },
});

export const register = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const user = await createUser(services.db, peppersFromConfig(services.config), c.req.valid("json"));
  const familyId = uuidv7();
  const tokens = await startSession(services, user, familyId);
  // The first sign-in of the account: its first session shows where it began.
  const place = requestPlace(c);
  afterResponse(
    c,
    "sign-in not recorded",
    recordSignIn(services, user.id, place, { succeeded: true, familyId }),
  );
  return c.json({ user: toUserView(user), ...tokens, tokenType: "Bearer" as const }, 201);
});
