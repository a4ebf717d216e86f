import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import {
  type AuthTokens,
  type CreatedApiKey,
  type ErrorCode,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problemSchema,
  randomToken,
} from "@inkwell/shared";
import { expect } from "vitest";
import { createApp } from "../src/app.ts";
import { createDatabase, type Database } from "../src/db/client.ts";
import { type AppConfig, type Env, parseEnv } from "../src/env.ts";
import { type Peppers, peppersFromConfig } from "../src/lib/password.ts";
import { createAdmin } from "../src/services/admin-bootstrap.ts";

export const BASE_URL = "http://edge.test";

/** The bindings the Worker under test runs with. */
export const edgeEnv = env as unknown as Env;

/**
 * A random IPv6 /64 per call: the limiter keys IPv6 clients on their /64, so no two tests (or two
 * calls, unless a test passes the same `ip`) ever share a rate-limit budget.
 */
export function randomIp(): string {
  const [a = 0, b = 0] = crypto.getRandomValues(new Uint16Array(2));
  return `2001:db8:${a.toString(16)}:${b.toString(16)}::1`;
}

export function uniqueEmail(): string {
  return `user-${crypto.randomUUID()}@example.test`;
}

export function newPassword(): string {
  return `pw-${randomToken(12)}`;
}

export interface CallOptions {
  method?: string;
  token?: string;
  /** A string is sent as-is (for malformed bodies); anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  ip?: string;
}

export function buildRequest(path: string, options: CallOptions = {}): Request {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", options.ip ?? randomIp());
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  return new Request(`${BASE_URL}${path}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    ...(body === undefined ? {} : { body }),
  });
}

/** A request to the Worker under test, as a client would send it. */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  return await SELF.fetch(buildRequest(path, options));
}

/**
 * Runs a request through a fresh app with some bindings changed (key rotation, a dead Redis, CORS),
 * and waits for its background work, so tests never sleep to synchronise.
 */
export async function callWithEnv(
  overrides: Partial<Record<keyof Env, string>>,
  path: string,
  options: CallOptions = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(buildRequest(path, options), { ...edgeEnv, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Asserts an RFC 9457 answer with the given status and code, and returns it. */
export async function expectProblem(res: Response, status: number, code: ErrorCode): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("Content-Type")).toBe(PROBLEM_CONTENT_TYPE);
  const problem = problemSchema.parse(JSON.parse(text));
  expect(problem.code).toBe(code);
  expect(problem.requestId).toBe(res.headers.get("X-Request-Id"));
  return problem;
}

/** Field paths of a VALIDATION_FAILED problem. */
export async function expectValidationPaths(res: Response): Promise<string[]> {
  const problem = await expectProblem(res, 400, "VALIDATION_FAILED");
  return (problem.errors ?? []).map((e) => e.path);
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

async function expectTokens(res: Response, status: number): Promise<AuthTokens> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as AuthTokens;
}

/** A fresh account for one test: random email, random password, signed in. */
export async function registerUser(
  extra: { displayName?: string; timezone?: string } = {},
): Promise<TestUser> {
  const email = uniqueEmail();
  const password = newPassword();
  const body = await expectTokens(
    await call("/v1/auth/register", { body: { email, password, ...extra } }),
    201,
  );
  return {
    id: body.user.id,
    email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
  };
}

export async function login(email: string, password: string, ip?: string): Promise<Response> {
  return await call("/v1/auth/login", { body: { email, password }, ...(ip ? { ip } : {}) });
}

let sharedDb: Database | undefined;

/**
 * Direct database access for arranging what the API cannot (an admin, an expired key). One client for
 * the whole run: a client per call was never closed, and across the suites the idle connections used up
 * Postgres' connection limit (53300, too many connections).
 */
export function testDb(): Database {
  sharedDb ??= createDatabase(edgeEnv.HYPERDRIVE.connectionString, { connectTimeoutSeconds: 30 }).db;
  return sharedDb;
}

/** The config the Worker under test runs with (its bindings, parsed), with `overrides` over the bindings. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  const parsed = parseEnv({ ...edgeEnv, ...overrides });
  if (!parsed.ok) throw new Error(`the test bindings are invalid: ${parsed.problems.join("; ")}`);
  return parsed.config;
}

/** The password peppers the Worker under test hashes with, for arranging users outside the Worker. */
export function testPeppers(): Peppers {
  return peppersFromConfig(testConfig());
}

/** A fresh administrator, made the way operators make one (createAdmin), then signed in. */
export async function registerAdmin(): Promise<TestUser> {
  const email = uniqueEmail();
  const password = newPassword();
  await createAdmin(testDb(), testPeppers(), { email, password });
  const body = await expectTokens(await login(email, password), 200);
  return {
    id: body.user.id,
    email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
  };
}

export async function createKey(
  user: TestUser,
  scopes: string[],
  extra: { name?: string; expiresAt?: string } = {},
): Promise<CreatedApiKey> {
  const res = await call("/v1/api-keys", {
    token: user.accessToken,
    body: {
      name: extra.name ?? "test key",
      scopes,
      ...(extra.expiresAt ? { expiresAt: extra.expiresAt } : {}),
    },
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as CreatedApiKey;
}
