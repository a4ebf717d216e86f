import { createRouter } from "./lib/openapi.ts";
import { adminRoutes } from "./routes/admin.ts";
import { postApiKey } from "./routes/api-keys/create-api-key.ts";
import { removeApiKey } from "./routes/api-keys/delete-api-key.ts";
import { getApiKeys } from "./routes/api-keys/list-api-keys.ts";
import { forgotPassword } from "./routes/auth/forgot-password.ts";
import { login } from "./routes/auth/login.ts";
import { logout } from "./routes/auth/logout.ts";
import { logoutAll } from "./routes/auth/logout-all.ts";
import { refresh } from "./routes/auth/refresh.ts";
import { register } from "./routes/auth/register.ts";
import { postResetPassword } from "./routes/auth/reset-password.ts";
import { insightsRoutes } from "./routes/insights/index.ts";
import { journalRoutes } from "./routes/journal.ts";
import { postPassword } from "./routes/me/change-password.ts";
import { deleteMe } from "./routes/me/delete-me.ts";
import { deleteSession } from "./routes/me/delete-session.ts";
import { getExport } from "./routes/me/export.ts";
import { getMe } from "./routes/me/get-me.ts";
import { getSecurity } from "./routes/me/get-security.ts";
import { patchMe } from "./routes/me/patch-me.ts";
import { moodCheckinRoutes } from "./routes/mood-checkins/index.ts";
import { promptRoutes } from "./routes/prompts/index.ts";
import { psychologyRoutes } from "./routes/psychology/psychology.ts";
import { sessionLifecycleRoutes } from "./routes/sessions/session-lifecycle.ts";
import { sessionRoutes } from "./routes/sessions/sessions.ts";
import { templateRoutes } from "./routes/templates/index.ts";

/**
 * The public `/v1` API as one chained router: its type is what `hono/client` reads, so the typed
 * client knows every path, body and response of these routes.
 */
export const publicApi = createRouter()
  .route("/", register)
  .route("/", login)
  .route("/", refresh)
  .route("/", logout)
  .route("/", logoutAll)
  .route("/", forgotPassword)
  .route("/", postResetPassword)
  .route("/", getMe)
  .route("/", patchMe)
  .route("/", postPassword)
  .route("/", getExport)
  .route("/", deleteMe)
  .route("/", getSecurity)
  .route("/", deleteSession)
  .route("/", postApiKey)
  .route("/", getApiKeys)
  .route("/", removeApiKey)
  .route("/", journalRoutes)
  .route("/", moodCheckinRoutes)
  .route("/", sessionRoutes)
  .route("/", sessionLifecycleRoutes)
  .route("/", psychologyRoutes)
  .route("/", insightsRoutes)
  .route("/", promptRoutes)
  .route("/", templateRoutes)
  .route("/", adminRoutes);

export type PublicApi = typeof publicApi;
