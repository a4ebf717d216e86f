import { createInkwellClient } from "@inkwell/edge/client";
import type { AuthTokens, User } from "@inkwell/shared";

/**
 * The app's one door to the API on its own origin. The access token lives in this module only (memory:
 * gone on reload); the refresh token is an HttpOnly cookie the server sets for `/v1/auth`, so no script
 * ever sees it. On reload or an expired access token, a body-less refresh trades the cookie for a new
 * access token.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(detail);
  }
}

let accessToken: string | null = null;
let refreshing: Promise<User | null> | null = null;
const listeners = new Set<(user: User | null) => void>();

export function onSessionChange(listener: (user: User | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setSession(tokens: AuthTokens | null): User | null {
  accessToken = tokens?.accessToken ?? null;
  const user = tokens?.user ?? null;
  for (const listener of listeners) listener(user);
  return user;
}

async function problemOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as {
      code?: string;
      detail?: string;
      title?: string;
      errors?: { path: string; message: string }[];
    };
    return new ApiError(
      res.status,
      body.code ?? "ERROR",
      body.detail ?? body.title ?? res.statusText,
      body.errors ?? [],
    );
  } catch {
    return new ApiError(res.status, "ERROR", res.statusText || "The request failed.");
  }
}

const WEB = { "X-Inkwell-Client": "web" };

async function authRequest(path: string, body?: unknown): Promise<AuthTokens> {
  const res = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: body === undefined ? WEB : { ...WEB, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as AuthTokens;
}

export async function signUp(email: string, password: string, displayName?: string): Promise<User> {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const tokens = await authRequest("/v1/auth/register", {
    email,
    password,
    timezone,
    ...(displayName ? { displayName } : {}),
  });
  return setSession(tokens) as User;
}

export async function signIn(email: string, password: string): Promise<User> {
  return setSession(await authRequest("/v1/auth/login", { email, password })) as User;
}

/** Trades the refresh cookie for a fresh access token; null when there is no live cookie session. */
export function resumeSession(): Promise<User | null> {
  refreshing ??= authRequest("/v1/auth/refresh")
    .then((tokens) => setSession(tokens))
    .catch(() => setSession(null))
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function signOut(): Promise<void> {
  try {
    await fetch("/v1/auth/logout", { method: "POST", credentials: "same-origin", headers: WEB });
  } finally {
    setSession(null);
  }
}

/** Forgets the session locally (after the account is deleted, for one). */
export function dropSession(): void {
  setSession(null);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** An authenticated request; one retry after refreshing an access token that expired. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const send = () => {
    const headers: Record<string, string> = { ...options.headers };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers,
      credentials: "same-origin",
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
  let res = await send();
  if (res.status === 401 && (await resumeSession())) res = await send();
  if (!res.ok) throw await problemOf(res);
  return res;
}

/**
 * `fetch` for the typed client: the session's access token, same-origin cookies, and one retry after
 * refreshing an access token that expired. It answers every response as it came; `ok` turns a problem
 * into an ApiError.
 */
async function sessionFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const send = () => {
    const headers = new Headers(init.headers);
    if (accessToken) headers.set("Authorization", `Bearer ${accessToken}`);
    return fetch(input, { ...init, headers, credentials: "same-origin" });
  };
  const res = await send();
  if (res.status === 401 && (await resumeSession())) return await send();
  return res;
}

/**
 * The typed client on the app's own origin: paths, parameters, bodies and answers are checked against the
 * edge's routes at build time (`api.v1.entries.$post({ json: { content } })`).
 */
export const api = createInkwellClient(globalThis.location?.origin ?? "http://localhost", {
  fetch: sessionFetch,
});

interface TypedResponse {
  ok: boolean;
  json(): Promise<unknown>;
}
/** What the route answers on success, as the edge declares it. */
type SuccessBody<R extends TypedResponse> = Awaited<ReturnType<Extract<R, { ok: true }>["json"]>>;

/** The body of a successful answer of the typed client, or its problem as an ApiError. */
export async function ok<R extends TypedResponse>(pending: Promise<R>): Promise<SuccessBody<R>> {
  const res = await pending;
  if (!res.ok) throw await problemOf(res as unknown as Response);
  return (await res.json()) as SuccessBody<R>;
}

export async function getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return (await (await request(path, options)).json()) as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export function idempotencyKey(): string {
  return crypto.randomUUID();
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Reads a `text/event-stream` body event by event as it arrives (the chat reply). `onEvent` gets the
 * event name and its parsed JSON data.
 */
export async function readEventStream(
  res: Response,
  onEvent: (event: string, data: unknown) => void,
): Promise<void> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffer += value;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) {
        try {
          onEvent(event, JSON.parse(data.join("\n")));
        } catch {
          onEvent(event, data.join("\n"));
        }
      }
      end = buffer.indexOf("\n\n");
    }
    if (done) return;
  }
}
