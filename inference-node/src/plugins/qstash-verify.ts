import { InkwellError } from "@inkwell/shared";
import { Receiver } from "@upstash/qstash";
import { globalPlugin } from "./global-plugin.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The body exactly as received; set only on routes protected by `qstashVerify`. */
    rawBody?: string;
  }
}

export interface QstashVerifyOptions extends Record<string, unknown> {
  currentSigningKey: string;
  nextSigningKey: string;
  /** The node's public base URL; a signature is bound to `publicUrl + path`, so one meant for another URL fails. */
  publicUrl: string;
  /** Allowed clock skew between QStash and this machine when checking `nbf`/`exp`. */
  clockToleranceSeconds?: number;
}

export const SIGNATURE_HEADER = "upstash-signature";

/**
 * Protects every route in the context that registers it: only deliveries signed by QStash for this exact
 * URL and body get through. The JSON body is parsed only after the signature over its raw bytes checks out.
 */
export const qstashVerify = globalPlugin<QstashVerifyOptions>("qstash-verify", async (fastify, options) => {
  // devMode: false, or QSTASH_DEV=true in the environment would swap in the public dev-server keys.
  const receiver = new Receiver({
    currentSigningKey: options.currentSigningKey,
    nextSigningKey: options.nextSigningKey,
    devMode: false,
  });
  const baseUrl = options.publicUrl.replace(/\/+$/, "");
  const clockTolerance = options.clockToleranceSeconds ?? 10;

  // Keep the body as text whatever its type: re-serialising parsed JSON would not reproduce the signed bytes.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser<string>("*", { parseAs: "string" }, (request, body, done) => {
    request.rawBody = body;
    done(null, undefined);
  });

  // Cheap rejection before the body is even read.
  fastify.addHook("onRequest", async (request) => {
    if (typeof request.headers[SIGNATURE_HEADER] !== "string") {
      throw new InkwellError("UNAUTHENTICATED", "The Upstash-Signature header is missing");
    }
  });

  fastify.addHook("preValidation", async (request) => {
    const signature = request.headers[SIGNATURE_HEADER];
    const rawBody = request.rawBody ?? "";
    let verified = false;
    try {
      verified = await receiver.verify({
        signature: typeof signature === "string" ? signature : "",
        body: rawBody,
        url: `${baseUrl}${request.url}`,
        clockTolerance,
      });
    } catch (error) {
      // The reason (bad key, wrong URL, body hash) helps the operator and reveals no secret; the caller
      // gets one generic answer so it cannot probe which check failed.
      request.log.warn({ reason: (error as Error).message }, "rejected a QStash delivery");
    }
    if (!verified) {
      throw new InkwellError("UNAUTHENTICATED", "The Upstash-Signature header is not valid for this request");
    }

    const contentType = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/json") {
      throw new InkwellError("UNSUPPORTED_MEDIA_TYPE", "Job deliveries must be application/json");
    }
    try {
      request.body = JSON.parse(rawBody);
    } catch {
      throw new InkwellError("VALIDATION_FAILED", "The request body is not valid JSON");
    }
  });
});
