import { InkwellError } from "@inkwell/shared";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { publicApi } from "./api.ts";
import { parseCorsOrigins } from "./env.ts";
import type { AppEnv } from "./hono-env.ts";
import { createRouter, withIdempotencyKeyHeader } from "./lib/openapi.ts";
import { problemResponse } from "./lib/problem.ts";
import { CREDENTIAL_ISSUING_POSTS } from "./middleware/idempotency.ts";
import { init } from "./middleware/init.ts";
import { refreshCookieMode } from "./middleware/refresh-cookie.ts";
import { requestId } from "./middleware/request-id.ts";
import { docsPage } from "./routes/docs.ts";
import { getHealth } from "./routes/health/get-health.ts";
import { getReady } from "./routes/health/get-ready.ts";
import { postEnroll } from "./routes/internal/post-enroll.ts";
import { postHeartbeat } from "./routes/internal/post-heartbeat.ts";
import { postQStashCallback, postQStashFailure } from "./routes/internal/qstash-callback.ts";

/** Largest body any route accepts (the contract's 256 KiB); entry content has its own 64 KiB limit. */
export const MAX_BODY_BYTES = 256 * 1024;
/** QStash callback bodies (signed; only QStash can make one). */
export const MAX_CALLBACK_BODY_BYTES = 4 * 1024 * 1024;

/** The one app factory: the Worker and every test use it. */
export function createApp() {
  const app = createRouter();

  app.use("*", requestId);
  app.use(
    "*",
    cors({
      // Read straight from the bindings: a preflight must be answered even before services exist.
      origin: (origin, c) =>
        parseCorsOrigins(c.env.CORS_ORIGINS).origins.includes(origin.toLowerCase()) ? origin : null,
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: [
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
        "If-Match",
        "If-None-Match",
        "X-Request-Id",
      ],
      exposeHeaders: [
        "X-Request-Id",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "Retry-After",
        "ETag",
      ],
      // Bearer tokens only, never cookies: no credentialed cross-origin requests to allow.
      credentials: false,
      maxAge: 600,
    }),
  );
  app.use("*", secureHeaders());
  // Tokens, keys and journal text must not be kept by browsers or shared caches: every answer of the
  // API and of the internal routes is no-store unless its route says otherwise (documentation may be
  // cached).
  app.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("Cache-Control") && c.req.path !== "/openapi.json" && c.req.path !== "/docs") {
      c.res.headers.set("Cache-Control", "no-store");
    }
  });
  const publicBodyLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new InkwellError("PAYLOAD_TOO_LARGE", `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
    },
  });
  // QStash callbacks carry the node's answer and the delivered job (a reindex page of vectors) together.
  const callbackBodyLimit = bodyLimit({
    maxSize: MAX_CALLBACK_BODY_BYTES,
    onError: () => {
      throw new InkwellError(
        "PAYLOAD_TOO_LARGE",
        `Callbacks are limited to ${MAX_CALLBACK_BODY_BYTES} bytes.`,
      );
    },
  });
  app.use("*", (c, next) =>
    c.req.path.startsWith("/internal/qstash/") ? callbackBodyLimit(c, next) : publicBodyLimit(c, next),
  );

  // Liveness must answer even when the environment is broken.
  app.route("/", getHealth);

  app.use("*", async (c, next) => {
    // Documentation needs no services; everything else does.
    if (c.req.path === "/openapi.json" || c.req.path === "/docs") return next();
    return init(c, next);
  });
  app.route("/", getReady);
  app.route("/", postHeartbeat);
  app.route("/", postEnroll);
  app.route("/", postQStashCallback);
  app.route("/", postQStashFailure);

  // The web app's refresh-token cookie (docs/api.md); bearer clients pass straight through.
  app.use("/v1/auth/*", refreshCookieMode);
  app.route("/", publicApi);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerComponent("securitySchemes", "nodeToken", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerComponent("securitySchemes", "joinSecret", { type: "http", scheme: "bearer" });
  app.get("/openapi.json", (c) =>
    c.json(
      withIdempotencyKeyHeader(
        app.getOpenAPI31Document({
          openapi: "3.1.0",
          info: {
            title: "Inkwell API",
            version: "1.0.0",
            description: "Journaling with analysis, search by meaning, insights and grounded chat.",
          },
        }),
        CREDENTIAL_ISSUING_POSTS,
      ),
    ),
  );
  app.route("/", docsPage);

  app.notFound((c) =>
    problemResponse(c, new InkwellError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`)),
  );
  app.onError((err, c) => problemResponse(c, err));
  return app;
}

export type App = ReturnType<typeof createApp>;
export type { AppEnv };
