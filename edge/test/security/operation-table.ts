import type { ApiScope } from "@inkwell/shared";

/**
 * What every operation of the OpenAPI document needs, written down by hand on purpose: the document's
 * `security` says only "bearer", not which scope, so this table is the second source the matrix
 * checks the code against. An operation the document has and this file lacks fails the suite.
 *
 * Keys are `METHOD /path` exactly as the document spells them (path templates keep `{id}`).
 */

/** Who may call a protected operation; the matrix derives the wrong-scope callers from it. */
export type Access =
  /** Needs this scope: a key holding every other non-admin scope gets 403. */
  | { kind: "scope"; scope: Exclude<ApiScope, "admin"> }
  /** Needs every one of these scopes: a key lacking any one of them gets 403. */
  | { kind: "all-scopes"; scopes: Exclude<ApiScope, "admin">[] }
  /** Needs any one of these scopes: a key holding none of them gets 403. */
  | { kind: "any-scope"; scopes: Exclude<ApiScope, "admin">[] }
  /** Needs a signed-in person (an access token): any API key gets 403. */
  | { kind: "session" }
  /** Needs the admin role and the admin scope: a plain user, and an admin's key without the scope, get 403. */
  | { kind: "admin" }
  /** Any authenticated caller may use it; there is no caller to refuse with 403. */
  | { kind: "signed-in"; why: string };

/**
 * The owned resource a path's `{id}` names. The matrix makes one as user A, and user B must get 404
 * for it, exactly as for an id that never existed.
 */
export type ResourceKind =
  | "api-key"
  | "entry"
  | "topic"
  | "job"
  | "session"
  | "reflection"
  /** A signed-in session (a refresh-token family), as `GET /v1/me/security` lists them. */
  | "sign-in-session"
  | "mood-checkin"
  | "template";

/** Operator-wide resources: an admin sees every one, so "another user's id" has no meaning there. */
export type OperatorResource = "node" | "any-job" | "join-secret" | "any-user";

export interface ProtectedRow {
  access: Access;
  /** A minimal valid body, for operations that take one: auth must answer before validation does. */
  body?: unknown;
  /** For paths with `{id}`. */
  resource?: ResourceKind | OperatorResource;
  /** Values for the path's other parameters (`{version}`), which the resource made as A has. */
  params?: Record<string, string>;
}

export const PROTECTED: Record<string, ProtectedRow> = {
  "POST /v1/auth/logout-all": { access: { kind: "session" } },

  "GET /v1/me": { access: { kind: "signed-in", why: "every key may ask whose it is" } },
  "PATCH /v1/me": { access: { kind: "session" }, body: { displayName: "Matrix" } },
  "DELETE /v1/me": { access: { kind: "session" }, body: { password: "not-the-password" } },
  "POST /v1/me/password": {
    access: { kind: "session" },
    body: { currentPassword: "not-the-password", newPassword: "matrix-new-password-1" },
  },
  // The export holds chat transcripts as well as entries: a key reads it only if it could read both.
  "GET /v1/me/export": { access: { kind: "all-scopes", scopes: ["entries:read", "ai"] } },
  "GET /v1/me/security": { access: { kind: "session" } },
  "DELETE /v1/me/sessions/{id}": { access: { kind: "session" }, resource: "sign-in-session" },

  "POST /v1/api-keys": { access: { kind: "session" }, body: { name: "matrix", scopes: ["entries:read"] } },
  "GET /v1/api-keys": { access: { kind: "session" } },
  "DELETE /v1/api-keys/{id}": { access: { kind: "session" }, resource: "api-key" },

  "POST /v1/entries": {
    access: { kind: "scope", scope: "entries:write" },
    body: { content: "A matrix entry." },
  },
  "GET /v1/entries": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/entries/{id}": { access: { kind: "scope", scope: "entries:read" }, resource: "entry" },
  "PATCH /v1/entries/{id}": {
    access: { kind: "scope", scope: "entries:write" },
    body: { title: "Changed by someone else" },
    resource: "entry",
  },
  "DELETE /v1/entries/{id}": { access: { kind: "scope", scope: "entries:write" }, resource: "entry" },
  "PUT /v1/entries/{id}/favorite": { access: { kind: "scope", scope: "entries:write" }, resource: "entry" },
  "DELETE /v1/entries/{id}/favorite": {
    access: { kind: "scope", scope: "entries:write" },
    resource: "entry",
  },
  "GET /v1/entries/{id}/related": { access: { kind: "scope", scope: "entries:read" }, resource: "entry" },
  "GET /v1/entries/{id}/versions": { access: { kind: "scope", scope: "entries:read" }, resource: "entry" },
  // Version 1 is the text A's entry was created with.
  "GET /v1/entries/{id}/versions/{version}": {
    access: { kind: "scope", scope: "entries:read" },
    resource: "entry",
    params: { version: "1" },
  },
  "POST /v1/entries/{id}/versions/{version}/restore": {
    access: { kind: "scope", scope: "entries:write" },
    resource: "entry",
    params: { version: "1" },
  },
  "POST /v1/entries/{id}/reanalyze": { access: { kind: "scope", scope: "entries:write" }, resource: "entry" },
  "GET /v1/entries/{id}/suggested-tags": {
    access: { kind: "scope", scope: "entries:read" },
    resource: "entry",
  },
  // Stores nothing, but reads the writer's tags and topics to match the draft against.
  "POST /v1/entries/suggest-tags": {
    access: { kind: "scope", scope: "entries:read" },
    body: { content: "A matrix draft." },
  },

  "POST /v1/mood-checkins": { access: { kind: "scope", scope: "entries:write" }, body: { mood: 5 } },
  "GET /v1/mood-checkins": { access: { kind: "scope", scope: "entries:read" } },
  "DELETE /v1/mood-checkins/{id}": {
    access: { kind: "scope", scope: "entries:write" },
    resource: "mood-checkin",
  },

  "GET /v1/topics": { access: { kind: "scope", scope: "entries:read" } },
  "POST /v1/topics": { access: { kind: "scope", scope: "entries:write" }, body: { name: "matrix topic" } },
  "POST /v1/topics/discover": { access: { kind: "scope", scope: "ai" } },
  "GET /v1/topics/{id}": { access: { kind: "scope", scope: "entries:read" }, resource: "topic" },
  "PATCH /v1/topics/{id}": {
    access: { kind: "scope", scope: "entries:write" },
    body: { name: "renamed by someone else" },
    resource: "topic",
  },
  "DELETE /v1/topics/{id}": { access: { kind: "scope", scope: "entries:write" }, resource: "topic" },
  "GET /v1/topics/{id}/entries": { access: { kind: "scope", scope: "entries:read" }, resource: "topic" },

  // The matrix's job is an entry's analysis: entries:read or the entries:write that started it reads it.
  // An ai key reads the jobs ai starts instead (reflections, discovery, titles; test/jobs/get-job.test.ts).
  "GET /v1/jobs/{id}": {
    access: { kind: "any-scope", scopes: ["entries:read", "entries:write"] },
    resource: "job",
  },
  "GET /v1/search": { access: { kind: "scope", scope: "ai" } },

  "GET /v1/sessions/types": { access: { kind: "scope", scope: "ai" } },
  "POST /v1/sessions": { access: { kind: "scope", scope: "ai" }, body: { type: "free_chat" } },
  "GET /v1/sessions": { access: { kind: "scope", scope: "ai" } },
  "GET /v1/sessions/{id}": { access: { kind: "scope", scope: "ai" }, resource: "session" },
  "PATCH /v1/sessions/{id}": {
    access: { kind: "scope", scope: "ai" },
    body: { title: "renamed by someone else" },
    resource: "session",
  },
  "DELETE /v1/sessions/{id}": { access: { kind: "scope", scope: "ai" }, resource: "session" },
  "GET /v1/sessions/{id}/messages": { access: { kind: "scope", scope: "ai" }, resource: "session" },
  "POST /v1/sessions/{id}/messages": {
    access: { kind: "scope", scope: "ai" },
    body: { content: "Hello from someone else." },
    resource: "session",
  },
  "POST /v1/sessions/{id}/pause": { access: { kind: "scope", scope: "ai" }, resource: "session" },
  "POST /v1/sessions/{id}/resume": { access: { kind: "scope", scope: "ai" }, resource: "session" },
  "POST /v1/sessions/{id}/end": { access: { kind: "scope", scope: "ai" }, resource: "session" },

  "GET /v1/psychology/domains": { access: { kind: "scope", scope: "ai" } },
  "GET /v1/psychology/search": { access: { kind: "scope", scope: "ai" } },
  "GET /v1/psychology/techniques": { access: { kind: "scope", scope: "ai" } },

  "GET /v1/insights/mood": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/emotions": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/writing": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/topics": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/growth": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/mood/by-time": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/mood/topics": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/mood/stability": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/word-counts": { access: { kind: "scope", scope: "entries:read" } },
  "GET /v1/insights/streaks": { access: { kind: "scope", scope: "entries:read" } },
  "POST /v1/insights/reflections": { access: { kind: "scope", scope: "ai" }, body: { period: "week" } },
  "GET /v1/insights/reflections": { access: { kind: "any-scope", scopes: ["entries:read", "ai"] } },
  "GET /v1/insights/reflections/{id}": {
    access: { kind: "any-scope", scopes: ["entries:read", "ai"] },
    resource: "reflection",
  },

  // Built-in prompts hold nothing of anyone's journal: a key that reads or writes entries may list them.
  "GET /v1/prompts": { access: { kind: "any-scope", scopes: ["entries:read", "entries:write"] } },
  "GET /v1/prompts/suggested": { access: { kind: "scope", scope: "entries:read" } },
  // A writer's own templates go with the prompts: a key that reads or writes entries may read them.
  "POST /v1/templates": { access: { kind: "scope", scope: "entries:write" }, body: { title: "matrix" } },
  "GET /v1/templates": { access: { kind: "any-scope", scopes: ["entries:read", "entries:write"] } },
  "GET /v1/templates/{id}": {
    access: { kind: "any-scope", scopes: ["entries:read", "entries:write"] },
    resource: "template",
  },
  "PATCH /v1/templates/{id}": {
    access: { kind: "scope", scope: "entries:write" },
    body: { title: "renamed by someone else" },
    resource: "template",
  },
  "DELETE /v1/templates/{id}": { access: { kind: "scope", scope: "entries:write" }, resource: "template" },

  "POST /v1/admin/nodes": {
    access: { kind: "admin" },
    body: { name: "matrix-node", url: "http://127.0.0.1:9" },
  },
  "GET /v1/admin/nodes": { access: { kind: "admin" } },
  "POST /v1/admin/nodes/{id}/drain": { access: { kind: "admin" }, resource: "node" },
  "DELETE /v1/admin/nodes/{id}/drain": { access: { kind: "admin" }, resource: "node" },
  "DELETE /v1/admin/nodes/{id}": { access: { kind: "admin" }, resource: "node" },
  "PATCH /v1/admin/nodes/{id}": {
    access: { kind: "admin" },
    resource: "node",
    body: { url: "https://matrix-node.example" },
  },
  "GET /v1/admin/jobs": { access: { kind: "admin" } },
  "POST /v1/admin/jobs/{id}/retry": { access: { kind: "admin" }, resource: "any-job" },
  "POST /v1/admin/reindex": { access: { kind: "admin" }, body: {} },
  "POST /v1/admin/join-secrets": {
    access: { kind: "admin" },
    body: { name: "matrix", allowedHosts: ["127.0.0.1:*"] },
  },
  "GET /v1/admin/join-secrets": { access: { kind: "admin" } },
  "DELETE /v1/admin/join-secrets/{id}": { access: { kind: "admin" }, resource: "join-secret" },
  "GET /v1/admin/pool": { access: { kind: "admin" } },
  "GET /v1/admin/pool/metrics": { access: { kind: "admin" } },
  "POST /v1/admin/users/{id}/password-reset": { access: { kind: "admin" }, resource: "any-user" },
  "GET /v1/admin/users": { access: { kind: "admin" } },
  "GET /v1/admin/users/{id}": { access: { kind: "admin" }, resource: "any-user" },
  "POST /v1/admin/users/{id}/disable": { access: { kind: "admin" }, resource: "any-user" },
  "POST /v1/admin/users/{id}/enable": { access: { kind: "admin" }, resource: "any-user" },
  "POST /v1/admin/users/{id}/sign-out": { access: { kind: "admin" }, resource: "any-user" },
  "DELETE /v1/admin/users/{id}": { access: { kind: "admin" }, resource: "any-user" },
  "GET /v1/admin/audit": { access: { kind: "admin" } },
};

/** Operations anyone may call, each with the reason; their own suites cover what they do. */
export const PUBLIC: Record<string, string> = {
  "GET /health": "liveness, for load balancers",
  "GET /health/ready": "readiness, for load balancers and operators",
  "POST /v1/auth/register": "how an account comes to exist",
  "POST /v1/auth/login": "how a session starts",
  "POST /v1/auth/refresh": "the refresh token in the body is the credential",
  "POST /v1/auth/logout": "the refresh token in the body is the credential",
  "POST /v1/auth/forgot-password": "for people who cannot sign in; the same 202 for every address",
  "POST /v1/auth/reset-password": "the one-time reset token in the body is the credential",
};

/** Served without credentials but not described by the document itself. */
export const UNDOCUMENTED_PUBLIC = ["/openapi.json", "/docs"] as const;

/** How an internal route knows its caller. */
export type InternalAuth = "qstash-signature" | "node-token" | "join-secret";

export const INTERNAL: Record<string, InternalAuth> = {
  "POST /internal/nodes/heartbeat": "node-token",
  "POST /internal/nodes/enroll": "join-secret",
  "POST /internal/qstash/callback": "qstash-signature",
  "POST /internal/qstash/failure": "qstash-signature",
};
