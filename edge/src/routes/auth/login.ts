import { createRoute } from "@hono/zod-openapi";
import { authTokensSchema, loginRequestSchema, uuidv7 } from "@inkwell/shared";
import { afterResponse } from "../../lib/after-response.ts";
import { createRouter } from "../../lib/openapi.ts";
import { peppersFromConfig } from "../../lib/password.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { limitByIp } from "../../middleware/rate-limit.ts";
import { recordSignIn, requestPlace } from "../../services/account-security.ts";
import { checkCredentials, toUserView } from "../../services/accounts.ts";
import { accountDisabled, startSession } from "../../services/sessions.ts";

const route = createRoute({
  method: "post",
  path: "/v1/auth/login",
  tags: ["Auth"],
  summary: "Sign in with email and password",
  description:
    "Wrong email and wrong password get the same 401. Repeated failures lock the account for 15 minutes (423). Sign-ins of an existing account, successful or not, show in its owner's `GET /v1/me/security` with the country and city Cloudflare saw and the client's User-Agent; attempts on unknown addresses are recorded nowhere. A disabled account with the right password gets 403 ACCOUNT_DISABLED.",
  middleware: [limitByIp("login")],
  request: { body: { required: true, content: { "application/json": { schema: loginRequestSchema } } } },
  responses: {
    200: { description: "Signed in", content: { "application/json": { schema: authTokensSchema } } },
    ...problemResponses(400, 401, 403, 413, 415, 423, 429, 503),
  },
});

export const login = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const { email, password } = c.req.valid("json");
  const place = requestPlace(c);
  // Recorded after the response, success or not: a refused attempt on an existing account must take
  // no longer than one on an address without an account.
  const user = await checkCredentials(
    services.db,
    peppersFromConfig(services.config),
    email,
    password,
    (id) => afterResponse(c, "sign-in not recorded", recordSignIn(services, id, place, { succeeded: false })),
  );
  // Only after the password checked out, so the answer tells nothing to someone who does not know it.
  if (user.disabledAt) {
    afterResponse(c, "sign-in not recorded", recordSignIn(services, user.id, place, { succeeded: false }));
    throw accountDisabled();
  }
  const familyId = uuidv7();
  const tokens = await startSession(services, user, familyId);
  afterResponse(
    c,
    "sign-in not recorded",
    recordSignIn(services, user.id, place, { succeeded: true, familyId }),
  );
  return c.json({ user: toUserView(user), ...tokens, tokenType: "Bearer" as const }, 200);
});
