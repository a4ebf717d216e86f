import { InkwellError } from "@inkwell/shared";
import { Receiver } from "@upstash/qstash";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../hono-env.ts";

/**
 * Only QStash may call the callback routes: the `Upstash-Signature` JWT must be signed with the current
 * or next signing key, name this exact URL, and carry the SHA-256 of the raw body. The body is read as
 * text and verified before anything parses it; routes take it from `qstashBody`.
 */
export const verifyQStashSignature = createMiddleware<AppEnv>(async (c, next) => {
  const signature = c.req.header("Upstash-Signature");
  if (!signature) throw new InkwellError("UNAUTHENTICATED", "The Upstash-Signature header is missing.");
  const { config } = c.get("services");
  const body = await c.req.text();
  // The URL QStash was given (EDGE_PUBLIC_URL), not the one this request arrived on behind a proxy.
  const base = (config.EDGE_PUBLIC_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "");
  const receiver = new Receiver({
    currentSigningKey: config.QSTASH_CURRENT_SIGNING_KEY,
    nextSigningKey: config.QSTASH_NEXT_SIGNING_KEY,
  });
  let valid = false;
  try {
    valid = await receiver.verify({ signature, body, url: `${base}${c.req.path}`, clockTolerance: 10 });
  } catch {
    // Wrong key, URL or body hash: one answer for all, so a caller cannot probe which check failed.
  }
  if (!valid) {
    console.warn(
      JSON.stringify({ level: "warn", msg: "rejected a QStash callback", requestId: c.get("requestId") }),
    );
    throw new InkwellError("UNAUTHENTICATED", "The Upstash-Signature header is not valid for this request.");
  }
  c.set("qstashBody", body);
  await next();
});
