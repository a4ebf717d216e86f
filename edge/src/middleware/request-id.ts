import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../hono-env.ts";

/** A client may bring its own id if it is short and plain; otherwise we mint one. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("X-Request-Id");
  const id = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : `req_${crypto.randomUUID()}`;
  c.set("requestId", id);
  await next();
  c.res.headers.set("X-Request-Id", id);
});
