import {
  EDGE_SIGNATURE_HEADER,
  EDGE_SIGNATURE_TOLERANCE_SECONDS,
  InkwellError,
  verifyEdgeSignature,
} from "@inkwell/shared";
import { globalPlugin } from "./global-plugin.ts";

export interface EdgeVerifyOptions extends Record<string, unknown> {
  /** Undefined when NODE_TOKEN is not set: then every interactive request is refused. */
  nodeToken: string | undefined;
  toleranceSeconds?: number;
  now?: () => number;
}

/**
 * Signatures seen within the freshness window. A signature older than the window is refused as stale
 * anyway, so entries can be forgotten once they age out and memory stays bounded by the request rate.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  /** True the first time a signature is offered; false for a replay. */
  remember(signature: string, expiresAt: number, now: number): boolean {
    if (now - this.lastSweep >= 1) {
      for (const [key, expiry] of this.seen) if (expiry < now) this.seen.delete(key);
      this.lastSweep = now;
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, expiresAt);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * Protects the routes of the context that registers it: only requests the edge signed for this node,
 * this method, path and body, within the last minute and never seen before get through. The JSON body is
 * parsed only after the signature over its raw bytes checks out.
 */
export const edgeVerify = globalPlugin<EdgeVerifyOptions>("edge-verify", async (fastify, options) => {
  const tolerance = options.toleranceSeconds ?? EDGE_SIGNATURE_TOLERANCE_SECONDS;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const replays = new ReplayCache();

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser<string>("*", { parseAs: "string" }, (request, body, done) => {
    request.rawBody = body;
    done(null, undefined);
  });

  fastify.addHook("onRequest", async (request) => {
    if (options.nodeToken === undefined) {
      throw new InkwellError(
        "UNAUTHENTICATED",
        "This node has no NODE_TOKEN, so it accepts no interactive requests",
      );
    }
    if (typeof request.headers[EDGE_SIGNATURE_HEADER] !== "string") {
      throw new InkwellError("UNAUTHENTICATED", "The Inkwell-Signature header is missing");
    }
  });

  fastify.addHook("preValidation", async (request) => {
    const header = request.headers[EDGE_SIGNATURE_HEADER] as string;
    const rawBody = request.rawBody ?? "";
    const current = now();
    const check = await verifyEdgeSignature({
      nodeToken: options.nodeToken as string,
      header,
      method: request.method,
      path: request.url,
      body: rawBody,
      now: current,
      toleranceSeconds: tolerance,
    });
    if (!check.ok) {
      request.log.warn({ reason: check.reason }, "rejected an edge request");
      throw new InkwellError("UNAUTHENTICATED", "The Inkwell-Signature header is not valid for this request");
    }
    if (!replays.remember(check.signature, check.timestamp + tolerance, current)) {
      request.log.warn({ reason: "replay" }, "rejected an edge request");
      throw new InkwellError(
        "UNAUTHENTICATED",
        "This request was already received; sign each request afresh",
      );
    }
    const contentType = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/json") {
      throw new InkwellError("UNSUPPORTED_MEDIA_TYPE", "Requests must be application/json");
    }
    try {
      request.body = JSON.parse(rawBody);
    } catch {
      throw new InkwellError("VALIDATION_FAILED", "The request body is not valid JSON");
    }
  });
});
