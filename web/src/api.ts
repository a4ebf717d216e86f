import { createInkwellClient } from "@inkwell/edge/client";
import type { User } from "@inkwell/shared";

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

function setSession(tokens: Tokens | null): User | null {
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

/**
 * The typed client for signing in and out: no session token and no refresh-and-retry, since a refused
 * sign-in is an answer, not an expired session.
 */
const authApi = createInkwellClient(globalThis.location?.origin ?? "http://localhost", {
  fetch: (input, init) => fetch(input, { ...init, credentials: "same-origin" }),
});

type Tokens = SuccessBody<Awaited<ReturnType<typeof authApi.v1.auth.refresh.$post>>>;

/**
 * The cookie mode's body-less POST (`refresh`, `logout`): the edge's middleware presents the cookie's
 * token as the body the route declares, so the client's typed call, which requires that body, cannot
 * send it; the path still comes from the typed client.
 */
function bodylessAuthPost(path: string): Promise<Response> {
  return fetch(path, { method: "POST", credentials: "same-origin", headers: WEB });
}

export async function signUp(email: string, password: string, displayName?: string): Promise<User> {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const tokens = await ok(
    authApi.v1.auth.register.$post(
      { json: { email, password, timezone, ...(displayName ? { displayName } : {}) } },
      { headers: WEB },
    ),
  );
  return setSession(tokens) as User;
}

export async function signIn(email: string, password: string): Promise<User> {
  return setSession(
    await ok(authApi.v1.auth.login.$post({ json: { email, password } }, { headers: WEB })),
  ) as User;
}

async function refreshTokens(): Promise<Tokens> {
  const res = await bodylessAuthPost(authApi.v1.auth.refresh.$path());
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as Tokens;
}

/** Trades the refresh cookie for a fresh access token; null when there is no live cookie session. */
export function resumeSession(): Promise<User | null> {
  refreshing ??= refreshTokens()
    .then((tokens) => setSession(tokens))
    .catch(() => setSession(null))
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function signOut(): Promise<void> {
  try {
    await bodylessAuthPost(authApi.v1.auth.logout.$path());
  } finally {
    setSession(null);
  }
}

/** Forgets the session locally (after the account is deleted, for one). */
export function dropSession(): void {
  setSession(null);
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

/** What every call of the typed client answers. */
export interface TypedResponse {
  ok: boolean;
  headers: Headers;
  json(): Promise<unknown>;
}
/** A successful answer of the typed client, as the edge declares it. */
type Success<R extends TypedResponse> = Extract<R, { ok: true }>;
/** What the route answers on success, as the edge declares it. */
type SuccessBody<R extends TypedResponse> = Awaited<ReturnType<Success<R>["json"]>>;

/** What a call of the typed client answers on success: `Answer<typeof api.v1.search.$get>`. */
export type Answer<Call extends (...args: never[]) => Promise<TypedResponse>> = SuccessBody<
  Awaited<ReturnType<Call>>
>;

/**
 * The typed client's answer when it succeeded (its headers, such as an entry's ETag, and its body), or
 * its problem as an ApiError. Also for answers without a body (204).
 */
export async function succeeded<R extends TypedResponse>(pending: Promise<R>): Promise<Success<R>> {
  const res = await pending;
  if (!res.ok) throw await problemOf(res as unknown as Response);
  return res as Success<R>;
}

/** The body of a successful answer of the typed client, or its problem as an ApiError. */
export async function ok<R extends TypedResponse>(pending: Promise<R>): Promise<SuccessBody<R>> {
  return (await (await succeeded(pending)).json()) as SuccessBody<R>;
}

export function idempotencyKey(): string {
  return crypto.randomUUID();
}
