import { base64Url, qstashBodyHash, signQStashDelivery } from "@inkwell/dev/testing/qstash-signature";
import { type ErrorCode, PROBLEM_CONTENT_TYPE, problemSchema } from "@inkwell/shared";
import { eq, inArray } from "drizzle-orm";
import { decodeJwt } from "jose";
import { expect } from "vitest";
import { apiKeys, nodes } from "../../src/db/schema/index.ts";
import { signAccessToken } from "../../src/lib/access-token.ts";
import { call, edgeEnv, type TestUser, testDb } from "../harness.ts";

// ---------------------------------------------------------------- the document

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;

interface DocParameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: { type?: string; maxLength?: number; pattern?: string };
}

interface DocOperation {
  security?: Record<string, string[]>[];
  parameters?: DocParameter[];
  requestBody?: { required?: boolean };
  responses?: Record<string, unknown>;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], DocOperation>>>;
}

/** One operation of the document, as the matrix sees it. */
export interface Operation {
  /** `METHOD /path`, the key of the tables. */
  key: string;
  method: string;
  path: string;
  security: string[];
  pathParams: DocParameter[];
  bodyRequired: boolean;
  hasBody: boolean;
  documentedStatuses: string[];
}

/** The OpenAPI document as the Worker serves it, flattened to its operations. */
export async function loadOperations(): Promise<Operation[]> {
  const res = await call("/openapi.json");
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
  const doc = (await res.json()) as OpenApiDocument;
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        security: (op.security ?? []).flatMap((requirement) => Object.keys(requirement)),
        pathParams: (op.parameters ?? []).filter((p) => p.in === "path"),
        bodyRequired: op.requestBody?.required === true,
        hasBody: op.requestBody !== undefined,
        documentedStatuses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return operations;
}

/**
 * The path with `{id}` filled in (every id-taking path of the API names its owner's resource `id`) and
 * any other `{param}` from `params` (an entry's `{version}`), else with the id as well.
 */
export function fillPath(path: string, id: string, params: Record<string, string> = {}): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? id));
}

// ---------------------------------------------------------------- refusals

/** What an error body must never carry: stack frames, SQL, driver or runtime names. */
const LEAKS = [
  /\bat [\w.<>$]+ \(/,
  /\.(?:ts|js|mjs):\d+/,
  /\b(?:select|insert|update|delete)\b[^.]*\b(?:from|into|set|where)\b/i,
  // Not "Upstash": the callback routes name the header they need, Upstash-Signature.
  /postgres|drizzle|redis|chroma|ollama|hyperdrive/i,
  /\b(?:TypeError|ReferenceError|SyntaxError|RangeError)\b/,
  /node_modules|workerd|wrangler/i,
];

/**
 * Asserts an RFC 9457 refusal with one of `statuses` and its matching code, and that nothing in it
 * leaks: no stack, no SQL, no infrastructure names, none of the `secrets` (tokens, ids, emails).
 */
export async function expectRefusal(
  res: Response,
  expected: Partial<Record<number, ErrorCode>>,
  secrets: readonly string[] = [],
): Promise<{ status: number; code: ErrorCode; detail: string; errors?: unknown }> {
  const text = await res.text();
  const statuses = Object.keys(expected).map(Number);
  expect(statuses, `status ${res.status}: ${text.slice(0, 300)}`).toContain(res.status);
  expect(res.headers.get("Content-Type")).toBe(PROBLEM_CONTENT_TYPE);
  const problem = problemSchema.parse(JSON.parse(text));
  expect(problem.status).toBe(res.status);
  expect(problem.code).toBe(expected[res.status]);
  expect(problem.requestId).toBe(res.headers.get("X-Request-Id"));
  for (const pattern of LEAKS) expect(text, `leaks ${pattern}`).not.toMatch(pattern);
  for (const secret of secrets) if (secret) expect(text).not.toContain(secret);
  return problem;
}

// ---------------------------------------------------------------- credentials

/** An access token for `user`, signed with the real secret but expired an hour ago. */
export async function expiredAccessToken(user: TestUser): Promise<string> {
  const claims = decodeJwt(user.accessToken);
  const { token } = await signAccessToken(
    { userId: user.id, role: claims.role === "admin" ? "admin" : "user", tokenVersion: Number(claims.ver) },
    edgeEnv.JWT_SECRET ?? "",
    Date.now() - 2 * 60 * 60 * 1000,
  );
  return token;
}

/** An unexpired access token for `user` with every claim right, signed with a key the edge does not hold. */
export async function forgedAccessToken(user: TestUser): Promise<string> {
  const claims = decodeJwt(user.accessToken);
  const { token } = await signAccessToken(
    { userId: user.id, role: "admin", tokenVersion: Number(claims.ver) },
    `forged-${crypto.randomUUID()}-${crypto.randomUUID()}`,
  );
  return token;
}

export interface MintedKey {
  id: string;
  key: string;
}

/** A key of `user` with these scopes (the password travels along, for a server that asks for it). */
export async function mintKey(user: TestUser, scopes: string[], name = "matrix key"): Promise<MintedKey> {
  const res = await call("/v1/api-keys", {
    token: user.accessToken,
    body: { name, scopes, password: user.password },
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const created = JSON.parse(text) as MintedKey;
  return { id: created.id, key: created.key };
}

/** A key whose expiry has passed (set in the database before its first use, so no cache holds it). */
export async function expiredKey(user: TestUser): Promise<string> {
  const key = await mintKey(user, ["entries:read", "entries:write", "ai"], "expired");
  await testDb()
    .update(apiKeys)
    .set({ expiresAt: new Date(Date.now() - 60_000) })
    .where(eq(apiKeys.id, key.id));
  return key.key;
}

/** A key its owner has deleted. */
export async function revokedKey(user: TestUser): Promise<string> {
  const key = await mintKey(user, ["entries:read", "entries:write", "ai"], "revoked");
  const res = await call(`/v1/api-keys/${key.id}`, { method: "DELETE", token: user.accessToken });
  expect(res.status).toBe(204);
  return key.key;
}

// ---------------------------------------------------------------- QStash

const encoder = new TextEncoder();

export function toBase64(text: string): string {
  let binary = "";
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The URL QStash was told to call, which its signature names. */
export function publicUrl(path: string): string {
  return `${(edgeEnv.EDGE_PUBLIC_URL ?? "").replace(/\/+$/, "")}${path}`;
}

/** An `Upstash-Signature` the way QStash makes one: HS256, `sub` = URL, `body` = base64url(SHA-256). */
export async function qstashSignature(
  url: string,
  body: string,
  options: { key?: string; issuedAt?: number; lifetimeSeconds?: number } = {},
): Promise<string> {
  return await signQStashDelivery({
    key: options.key ?? edgeEnv.QSTASH_CURRENT_SIGNING_KEY ?? "",
    url,
    body,
    ...(options.issuedAt === undefined ? {} : { issuedAt: options.issuedAt }),
    ...(options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds }),
  });
}

/** The same claims with `alg: none` and no signature: a verifier must never accept it. */
export async function unsignedQStashToken(url: string, body: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header = base64Url(encoder.encode(JSON.stringify({ alg: "none", typ: "JWT" })));
  const payload = base64Url(
    encoder.encode(
      JSON.stringify({
        iss: "Upstash",
        sub: url,
        iat: now,
        nbf: now,
        exp: now + 300,
        jti: `jwt_${crypto.randomUUID()}`,
        body: await qstashBodyHash(body),
      }),
    ),
  );
  return `${header}.${payload}.`;
}

/**
 * A well-formed callback for a job the edge never made: accepted by the signature check, it changes
 * nothing, so the matrix can send genuine deliveries without touching anyone's data.
 */
export function harmlessCallbackBody(): string {
  const jobId = crypto.randomUUID();
  return JSON.stringify({
    status: 200,
    header: { "Content-Type": ["application/json"] },
    body: toBase64(JSON.stringify({ jobId })),
    retried: 0,
    maxRetries: 3,
    sourceMessageId: `msg_${crypto.randomUUID()}`,
    url: "http://node.test/jobs/analyze-entry",
    method: "POST",
    sourceBody: toBase64(JSON.stringify({ jobId, attempt: 1 })),
  });
}

export async function postCallback(path: string, body: string, signature?: string): Promise<Response> {
  return await call(path, {
    body,
    headers: { "Content-Type": "application/json", ...(signature ? { "Upstash-Signature": signature } : {}) },
  });
}

// ---------------------------------------------------------------- nodes

const madeNodes = new Set<string>();

/** Registers a node that points nowhere; `removeMatrixNodes` deletes it again. */
export async function registerMatrixNode(admin: TestUser): Promise<{ id: string; token: string }> {
  const res = await call("/v1/admin/nodes", {
    token: admin.accessToken,
    body: { name: `matrix-${crypto.randomUUID().slice(0, 8)}`, url: "http://127.0.0.1:9" },
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const node = JSON.parse(text) as { id: string; token: string };
  madeNodes.add(node.id);
  return node;
}

/** A join secret that allows only a host nothing listens on. */
export async function createMatrixJoinSecret(admin: TestUser): Promise<{ id: string; secret: string }> {
  const res = await call("/v1/admin/join-secrets", {
    token: admin.accessToken,
    body: { name: `matrix-${crypto.randomUUID().slice(0, 8)}`, allowedHosts: ["127.0.0.1:9"] },
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as { id: string; secret: string };
}

/** Other suites (search, chat) expect no node to answer: leave none behind. */
export async function removeMatrixNodes(): Promise<void> {
  const ids = [...madeNodes];
  madeNodes.clear();
  if (ids.length > 0) await testDb().delete(nodes).where(inArray(nodes.id, ids));
}
