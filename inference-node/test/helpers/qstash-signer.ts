import { createHash, createHmac, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Config } from "../../src/config.ts";

/** A 32-character key like the ones the QStash console hands out. */
export function randomSigningKey(): string {
  return `sig_${randomUUID().replaceAll("-", "")}`.slice(0, 32);
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

export interface SignOptions {
  key: string;
  url: string;
  body: string;
  /** Seconds from now; negative for an already expired token. */
  expiresIn?: number;
  issuer?: string;
}

/**
 * Signs a delivery the way QStash does: an HS256 JWT whose `sub` is the destination URL and whose `body`
 * claim is the base64url SHA-256 of the raw body. Built by hand so the test does not share code with the
 * Receiver it checks.
 */
export function signLikeQstash({ key, url, body, expiresIn = 300, issuer = "Upstash" }: SignOptions): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = base64url(
    JSON.stringify({
      iss: issuer,
      sub: url,
      exp: now + expiresIn,
      nbf: now - 1,
      iat: now - 1,
      jti: `jwt_${randomUUID()}`,
      body: createHash("sha256").update(body).digest("base64url"),
    }),
  );
  const signature = createHmac("sha256", key).update(`${header}.${claims}`).digest("base64url");
  return `${header}.${claims}.${signature}`;
}

/**
 * Delivers a job to one of the node's `/jobs` routes as QStash would: the JSON body, signed for the
 * node's public URL of that route with the current key (or `key`).
 */
export function deliverSigned(
  app: FastifyInstance,
  config: Config,
  path: string,
  job: unknown,
  key: string = config.qstash.currentSigningKey,
) {
  const body = JSON.stringify(job);
  return app.inject({
    method: "POST",
    url: path,
    headers: {
      "content-type": "application/json",
      "upstash-signature": signLikeQstash({ key, url: `${config.publicUrl}${path}`, body }),
    },
    payload: body,
  });
}
