import { createRoute } from "@hono/zod-openapi";
import { updateMeRequestSchema, userSchema } from "@inkwell/shared";
import { createRouter } from "../../lib/openapi.ts";
import { problemResponses } from "../../lib/problem-schema.ts";
import { protect, requireSession } from "../../middleware/auth.ts";
import { toUserView, updateProfile } from "../../services/accounts.ts";
import { publishAuthState } from "../../services/auth-state.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/me",
  tags: ["Account"],
  summary: "Change display name, time zone or the weekly reflection setting",
  description: "Needs a signed-in session (not an API key). Unknown fields are refused.",
  security: [{ bearer: [] }],
  middleware: protect(requireSession),
  request: { body: { required: true, content: { "application/json": { schema: updateMeRequestSchema } } } },
  responses: {
    200: { description: "The updated account", content: { "application/json": { schema: userSchema } } },
    ...problemResponses(400, 401, 403, 413, 415, 429),
  },
});

export const patchMe = createRouter().openapi(route, async (c) => {
  const services = c.get("services");
  const patch = c.req.valid("json");
  const user = await updateProfile(services.db, c.get("auth").userId, patch);
  // Insights bucket by the zone auth reads from its cache: tell the cache now, not after its TTL.
  if (patch.timezone !== undefined) {
    await publishAuthState(services, user.id, {
      tokenVersion: user.tokenVersion,
      role: user.role,
      timezone: user.timezone,
      disabled: user.disabledAt !== null,
    });
  }
  return c.json(toUserView(user), 200);
});
