import type { ErrorCode, NodeHeartbeat } from "@inkwell/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, registerAdmin, registerUser, type TestUser } from "../harness.ts";
import {
  createMatrixJoinSecret,
  expectRefusal,
  expiredAccessToken,
  expiredKey,
  fillPath,
  forgedAccessToken,
  harmlessCallbackBody,
  loadOperations,
  mintKey,
  type Operation,
  postCallback,
  publicUrl,
  qstashSignature,
  registerMatrixNode,
  removeMatrixNodes,
  revokedKey,
  unsignedQStashToken,
} from "./matrix-support.ts";
import {
  type Access,
  INTERNAL,
  type OperatorResource,
  PROTECTED,
  type ProtectedRow,
  PUBLIC,
  type ResourceKind,
  UNDOCUMENTED_PUBLIC,
} from "./operation-table.ts";

/**
 * The cross-cutting security cases, generated from the OpenAPI document the Worker serves: every `/v1`
 * operation is refused without valid credentials, with the wrong scope, for another user's id and for
 * a malformed id; every internal route refuses unsigned, forged, tampered and replayed calls. A route
 * added to the document without a row in `operation-table.ts` fails the first test below.
 */

const operations = await loadOperations();
const protectedOps = operations.filter((op) => op.key in PROTECTED);
const internalOps = operations.filter((op) => op.key in INTERNAL);

const NON_ADMIN_SCOPES = ["entries:read", "entries:write", "ai"] as const;
type UserScope = (typeof NON_ADMIN_SCOPES)[number];

const UNAUTHENTICATED: Partial<Record<number, ErrorCode>> = { 401: "UNAUTHENTICATED" };
const FORBIDDEN: Partial<Record<number, ErrorCode>> = { 403: "FORBIDDEN" };
const NOT_FOUND: Partial<Record<number, ErrorCode>> = { 404: "NOT_FOUND" };
const REFUSED: Partial<Record<number, ErrorCode>> = { 401: "UNAUTHENTICATED", 403: "FORBIDDEN" };

function row(op: Operation): ProtectedRow {
  const found = PROTECTED[op.key];
  if (!found) throw new Error(`no row for ${op.key}`);
  return found;
}

// ---------------------------------------------------------------- shared fixtures

interface Fixtures {
  a: TestUser;
  b: TestUser;
  admin: TestUser;
  /** A's owned resources (and, for operator routes, a node and a job), by kind. */
  ids: Record<ResourceKind | OperatorResource, string>;
  /** Whether each of A's resources is still there, unchanged by anything B or a weak key tried. */
  stillThere: Record<ResourceKind, () => Promise<boolean>>;
  /** Keys of A by their exact scope set, made on first use. */
  keyWith(scopes: readonly UserScope[]): Promise<string>;
  adminKeyWithoutAdmin: string;
  badCredentials: { name: string; authorization: string }[];
  /** Secrets no refusal may echo. */
  secrets: string[];
}

let fx: Fixtures;

async function created<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  // `target` is what the operator routes on accounts are tried against; no case may change it.
  const [a, b, admin, target] = await Promise.all([
    registerUser(),
    registerUser(),
    registerAdmin(),
    registerUser(),
  ]);
  const keys = new Map<string, Promise<string>>();
  const keyWith = (scopes: readonly UserScope[]): Promise<string> => {
    const id = [...scopes].sort().join(",");
    let key = keys.get(id);
    if (!key) {
      key = mintKey(a, [...scopes]).then((k) => k.key);
      keys.set(id, key);
    }
    return key;
  };

  const entry = await created<{ id: string; jobId: string }>(
    await call("/v1/entries", { token: a.accessToken, body: { content: "Only A may read this entry." } }),
    201,
  );
  const [apiKey, topic, session, reflection, node, adminKey, joinSecret, checkin, template] =
    await Promise.all([
      mintKey(a, ["entries:read"], "owned by A"),
      created<{ id: string }>(
        await call("/v1/topics", {
          token: a.accessToken,
          body: { name: `A's topic ${crypto.randomUUID()}` },
        }),
        201,
      ),
      created<{ id: string }>(
        await call("/v1/sessions", { token: a.accessToken, body: { type: "free_chat", title: "A's chat" } }),
        201,
      ),
      created<{ reflectionId: string }>(
        await call("/v1/insights/reflections", { token: a.accessToken, body: { period: "week" } }),
        202,
      ),
      registerMatrixNode(admin),
      mintKey(admin, [...NON_ADMIN_SCOPES], "admin's key without the admin scope"),
      createMatrixJoinSecret(admin),
      created<{ id: string }>(
        await call("/v1/mood-checkins", { token: a.accessToken, body: { mood: 6, note: "A's check-in" } }),
        201,
      ),
      created<{ id: string }>(
        await call("/v1/templates", { token: a.accessToken, body: { title: "A's template" } }),
        201,
      ),
    ]);

  const readsOk = (path: string) => async () => (await call(path, { token: a.accessToken })).status === 200;
  // A's signed-in session: the one registering started.
  const signedInSessions = async () =>
    (
      await created<{ sessions: { id: string }[] }>(
        await call("/v1/me/security", { token: a.accessToken }),
        200,
      )
    ).sessions.map((s) => s.id);
  const [signInSession] = await signedInSessions();
  if (!signInSession) throw new Error("A has no signed-in session");
  const [expiredJwt, forgedJwt, expired, revoked] = await Promise.all([
    expiredAccessToken(a),
    forgedAccessToken(a),
    expiredKey(a),
    revokedKey(a),
  ]);

  fx = {
    a,
    b,
    admin,
    ids: {
      "api-key": apiKey.id,
      entry: entry.id,
      topic: topic.id,
      job: entry.jobId,
      session: session.id,
      reflection: reflection.reflectionId,
      node: node.id,
      "any-job": entry.jobId,
      "join-secret": joinSecret.id,
      "any-user": target.id,
      "sign-in-session": signInSession,
      "mood-checkin": checkin.id,
      template: template.id,
    },
    stillThere: {
      "api-key": async () => {
        const list = await created<{ items: { id: string }[] }>(
          await call("/v1/api-keys?limit=100", { token: a.accessToken }),
          200,
        );
        return list.items.some((k) => k.id === apiKey.id);
      },
      entry: async () => {
        const res = await call(`/v1/entries/${entry.id}`, { token: a.accessToken });
        if (res.status !== 200) return false;
        const body = await res.json<{ title: string | null; favorite: boolean }>();
        return body.title === null && body.favorite === false;
      },
      topic: async () => {
        const list = await created<{ items: { id: string; name: string }[] }>(
          await call("/v1/topics", { token: a.accessToken }),
          200,
        );
        return list.items.some((t) => t.id === topic.id && t.name.startsWith("A's topic"));
      },
      job: readsOk(`/v1/jobs/${entry.jobId}`),
      session: async () => {
        const res = await call(`/v1/sessions/${session.id}`, { token: a.accessToken });
        return res.status === 200 && (await res.json<{ title: string | null }>()).title === "A's chat";
      },
      reflection: readsOk(`/v1/insights/reflections/${reflection.reflectionId}`),
      "sign-in-session": async () => (await signedInSessions()).includes(signInSession),
      "mood-checkin": async () => {
        const list = await created<{ items: { id: string }[] }>(
          await call("/v1/mood-checkins?limit=100", { token: a.accessToken }),
          200,
        );
        return list.items.some((c) => c.id === checkin.id);
      },
      template: async () => {
        const res = await call(`/v1/templates/${template.id}`, { token: a.accessToken });
        return res.status === 200 && (await res.json<{ title: string }>()).title === "A's template";
      },
    },
    keyWith,
    adminKeyWithoutAdmin: adminKey.key,
    badCredentials: [
      { name: "no credentials", authorization: "" },
      {
        name: "a malformed Authorization header",
        authorization: `Basic ${btoa(`${a.email}:${a.password}`)}`,
      },
      { name: "an expired access token", authorization: `Bearer ${expiredJwt}` },
      { name: "an access token signed with another key", authorization: `Bearer ${forgedJwt}` },
      { name: "an expired API key", authorization: `Bearer ${expired}` },
      { name: "a revoked API key", authorization: `Bearer ${revoked}` },
      { name: "an unknown API key", authorization: `Bearer ik_${crypto.randomUUID().replaceAll("-", "")}` },
    ],
    secrets: [a.email, a.password, b.email, b.password, a.accessToken, b.accessToken, expiredJwt, forgedJwt],
  };
}, 120_000);

afterAll(removeMatrixNodes);

/** The request a case sends: the row's minimal valid body, so only the credential can be wrong. */
async function send(
  op: Operation,
  options: { id?: string; authorization?: string; body?: unknown },
): Promise<Response> {
  const r: Partial<ProtectedRow> = PROTECTED[op.key] ?? {};
  const body = "body" in options ? options.body : "body" in r ? r.body : undefined;
  const headers: Record<string, string> = {};
  if (options.authorization) headers.Authorization = options.authorization;
  return await call(fillPath(op.path, options.id ?? crypto.randomUUID(), r.params), {
    method: op.method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
}

// ---------------------------------------------------------------- every operation has a row

describe("the document and the table agree", () => {
  it("every operation in the document is protected, public or internal, and in exactly one table", () => {
    const missing = operations
      .filter(
        (op) => [op.key in PROTECTED, op.key in PUBLIC, op.key in INTERNAL].filter(Boolean).length !== 1,
      )
      .map((op) => op.key);
    expect(missing, "add a row to edge/test/security/operation-table.ts").toEqual([]);
    const keys = new Set(operations.map((op) => op.key));
    const stale = [...Object.keys(PROTECTED), ...Object.keys(PUBLIC), ...Object.keys(INTERNAL)].filter(
      (key) => !keys.has(key),
    );
    expect(stale, "rows for operations the document no longer has").toEqual([]);
    expect(operations.length).toBeGreaterThan(50);
  });

  it("the document marks exactly the protected operations as bearer-secured, and only /v1 ones", () => {
    for (const op of operations) {
      if (op.key in PROTECTED) {
        expect(op.security, op.key).toEqual(["bearer"]);
        expect(op.path.startsWith("/v1/"), op.key).toBe(true);
      } else if (op.key in PUBLIC) {
        expect(op.security, op.key).toEqual([]);
      } else {
        expect(op.path.startsWith("/internal/") || op.path.startsWith("/jobs/"), op.key).toBe(true);
        expect(op.security, op.key).not.toContain("bearer");
      }
    }
    // Anything under /internal or /jobs is an internal route whatever else it says.
    for (const op of operations.filter((o) => /^\/(internal|jobs)\//.test(o.path))) {
      expect(INTERNAL[op.key], op.key).toBeDefined();
    }
  });

  it("rows give a body where the document requires one and a resource where the path takes an id", () => {
    for (const op of protectedOps) {
      const r = row(op);
      if (op.bodyRequired) expect("body" in r, `${op.key} needs a sample body`).toBe(true);
      if (!op.hasBody) expect("body" in r, `${op.key} takes no body`).toBe(false);
      expect(
        op.pathParams.map((p) => p.name),
        op.key,
      ).toEqual(op.path.includes("{") ? ["id", ...Object.keys(r.params ?? {})] : []);
      expect(r.resource !== undefined, `${op.key}: resource`).toBe(op.pathParams.length > 0);
    }
  });

  it("the document lists the refusals each operation can give", () => {
    for (const op of protectedOps) {
      const r = row(op);
      expect(op.documentedStatuses, op.key).toContain("401");
      if (r.access.kind !== "signed-in") expect(op.documentedStatuses, op.key).toContain("403");
      if (op.pathParams.length > 0) expect(op.documentedStatuses, op.key).toContain("404");
    }
    for (const op of internalOps) expect(op.documentedStatuses, op.key).toContain("401");
  });

  it("the document and the docs page are served without credentials", async () => {
    for (const path of UNDOCUMENTED_PUBLIC) expect((await call(path)).status, path).toBe(200);
  });
});

// ---------------------------------------------------------------- running cases

/** One generated check: a request and what its answer must be. */
interface Case {
  name: string;
  run(): Promise<void>;
}

/**
 * Cases that fail on today's code for a reason tracked elsewhere, keyed `METHOD /path · case`, each
 * naming its issue item. A listed case that starts passing fails the run, so the entry gets removed.
 */
const KNOWN_GAPS: Record<string, string> = {};

/** Cases in flight at once across the file: enough to overlap I/O waits, few enough for a two-core machine. */
const MAX_CASES_IN_FLIGHT = 8;
let inFlight = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  while (inFlight >= MAX_CASES_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight += 1;
  try {
    return await work();
  } finally {
    inFlight -= 1;
    waiting.shift()?.();
  }
}

/** Several cases queue behind the limit, so one operation's group gets longer than a single test. */
const GROUP_TIMEOUT_MS = 180_000;

/** Runs one operation's cases of one kind, and reports every failing case by name, not just the first. */
async function runCases(opKey: string, cases: Case[]): Promise<void> {
  const results = await Promise.allSettled(cases.map((c) => limited(() => c.run())));
  const failures: string[] = [];
  results.forEach((result, i) => {
    const id = `${opKey} · ${cases[i]?.name}`;
    const gap = KNOWN_GAPS[id];
    if (result.status === "rejected" && !gap) {
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      failures.push(`${id}: ${reason}`);
    }
    if (result.status === "fulfilled" && gap) {
      failures.push(`${id} passes now; remove it from KNOWN_GAPS (${gap})`);
    }
  });
  expect(failures).toEqual([]);
}

// ---------------------------------------------------------------- /v1 × credentials

const CREDENTIAL_CASES = [
  "no credentials",
  "a malformed Authorization header",
  "an expired access token",
  "an access token signed with another key",
  "an expired API key",
  "a revoked API key",
  "an unknown API key",
] as const;

function credentialCases(op: Operation): Case[] {
  const cases: Case[] = CREDENTIAL_CASES.map((name) => ({
    name: `${name} → 401`,
    run: async () => {
      const credential = fx.badCredentials.find((c) => c.name === name);
      if (!credential) throw new Error(name);
      const res = await send(op, {
        ...(credential.authorization ? { authorization: credential.authorization } : {}),
        ...(op.pathParams.length > 0 ? { id: fx.ids[row(op).resource ?? "entry"] } : {}),
      });
      await expectRefusal(res, UNAUTHENTICATED, [...fx.secrets, credential.authorization.slice(7)]);
    },
  }));
  if (op.hasBody) {
    cases.push({
      name: "no credentials and a body that is not even JSON → 401, not 400",
      run: async () => {
        await expectRefusal(await send(op, { body: "{not json" }), UNAUTHENTICATED, fx.secrets);
      },
    });
  }
  return cases;
}

describe.concurrent("every /v1 operation refuses missing and invalid credentials with 401", () => {
  for (const op of protectedOps) {
    const cases = credentialCases(op);
    it(`${op.key} (${cases.length} cases)`, () => runCases(op.key, cases), GROUP_TIMEOUT_MS);
  }
});

// ---------------------------------------------------------------- /v1 × scope

interface WeakCaller {
  name: string;
  token(): Promise<string>;
}

function weakCallers(access: Access): WeakCaller[] {
  switch (access.kind) {
    case "scope":
      return [
        {
          name: `an API key with every scope but ${access.scope}`,
          token: () => fx.keyWith(NON_ADMIN_SCOPES.filter((s) => s !== access.scope)),
        },
      ];
    case "all-scopes":
      return access.scopes.map((missing) => ({
        name: `an API key with every scope but ${missing}`,
        token: () => fx.keyWith(NON_ADMIN_SCOPES.filter((s) => s !== missing)),
      }));
    case "any-scope":
      return [
        {
          name: `an API key with none of ${access.scopes.join(", ")}`,
          token: () => fx.keyWith(NON_ADMIN_SCOPES.filter((s) => !access.scopes.includes(s))),
        },
      ];
    case "session":
      return [{ name: "an API key with every user scope", token: () => fx.keyWith(NON_ADMIN_SCOPES) }];
    case "admin":
      return [
        { name: "a signed-in user who is not an admin", token: async () => fx.a.accessToken },
        {
          name: "a non-admin's API key with every scope it may hold",
          token: () => fx.keyWith(NON_ADMIN_SCOPES),
        },
        { name: "an admin's API key without the admin scope", token: async () => fx.adminKeyWithoutAdmin },
      ];
    case "signed-in":
      return [];
  }
}

function scopeCases(op: Operation): Case[] {
  const r = row(op);
  return weakCallers(r.access).map((caller) => ({
    name: `${caller.name} → 403`,
    run: async () => {
      // The caller's own (or, for operator routes, a real) id: the refusal must not hang on a lookup.
      const res = await send(op, {
        authorization: `Bearer ${await caller.token()}`,
        ...(r.resource ? { id: fx.ids[r.resource] } : {}),
      });
      await expectRefusal(res, FORBIDDEN, fx.secrets);
    },
  }));
}

describe.concurrent("every /v1 operation refuses a caller without its scope or role with 403", () => {
  for (const op of protectedOps) {
    const cases = scopeCases(op);
    if (cases.length > 0)
      it(`${op.key} (${cases.length} cases)`, () => runCases(op.key, cases), GROUP_TIMEOUT_MS);
  }

  it("operations any signed-in caller may use say why", () => {
    for (const op of protectedOps) {
      const { access } = row(op);
      if (access.kind === "signed-in") expect(access.why.length, op.key).toBeGreaterThan(10);
    }
  });
});

// ---------------------------------------------------------------- /v1 × ids

const idOps = protectedOps.filter((op) => op.pathParams.length > 0);
const tenantOps = idOps.filter((op) => {
  const resource = row(op).resource;
  return (
    resource !== "node" && resource !== "any-job" && resource !== "join-secret" && resource !== "any-user"
  );
});

/** The token that may use the operation on its own resources: A, or the admin on operator routes. */
function ownerToken(op: Operation): string {
  return row(op).access.kind === "admin" ? fx.admin.accessToken : fx.a.accessToken;
}

/** A problem with the parts that differ between two requests (request id, the id itself) blanked. */
function comparable(problem: { detail: string }, id: string): unknown {
  return { ...problem, requestId: "", detail: problem.detail.replaceAll(id, "<id>") };
}

function crossUserCase(op: Operation): Case {
  return {
    name: "another user's id → 404, the same answer as for an id that never existed",
    run: async () => {
      const theirs = fx.ids[row(op).resource as ResourceKind];
      const unknown = crypto.randomUUID();
      const bearer = `Bearer ${fx.b.accessToken}`;
      const [p1, p2] = await Promise.all([
        send(op, { authorization: bearer, id: theirs }).then((res) =>
          expectRefusal(res, NOT_FOUND, fx.secrets),
        ),
        send(op, { authorization: bearer, id: unknown }).then((res) =>
          expectRefusal(res, NOT_FOUND, fx.secrets),
        ),
      ]);
      expect(comparable(p1, theirs)).toEqual(comparable(p2, unknown));
    },
  };
}

/** Ids no resource has; each must be a clean 404 (or 400 where the document's schema rules it out). */
const MALFORMED_IDS = [
  { name: "not a UUID", id: "not-an-id" },
  { name: "SQL", id: "1' OR '1'='1" },
  { name: "a NUL byte", id: "\u0000" },
  { name: "a path", id: "../../v1/me" },
  { name: "non-ASCII", id: "ünïcødé-✓" },
  { name: "a UUID with trailing junk", id: `${crypto.randomUUID()}x` },
  { name: "longer than any id", id: "7".repeat(65) },
] as const;

function idCases(op: Operation): Case[] {
  const maxLength = op.pathParams[0]?.schema?.maxLength;
  const cases: Case[] = MALFORMED_IDS.map(({ name, id }) => {
    const outOfSchema = maxLength !== undefined && id.length > maxLength;
    return {
      name: `${name} → ${outOfSchema ? 400 : 404}`,
      run: async () => {
        const res = await send(op, { authorization: `Bearer ${ownerToken(op)}`, id });
        await expectRefusal(res, outOfSchema ? { 400: "VALIDATION_FAILED" } : NOT_FOUND, fx.secrets);
      },
    };
  });
  cases.push({
    name: "a well-formed id that never existed → 404",
    run: async () => {
      const res = await send(op, { authorization: `Bearer ${ownerToken(op)}`, id: crypto.randomUUID() });
      await expectRefusal(res, NOT_FOUND, fx.secrets);
    },
  });
  if (tenantOps.includes(op)) cases.push(crossUserCase(op));
  return cases;
}

describe.concurrent("ids: another user's is 404 as if it never existed; a malformed one is 400/404, never 5xx", () => {
  for (const op of idOps) {
    const cases = idCases(op);
    it(`${op.key} (${cases.length} cases)`, () => runCases(op.key, cases), GROUP_TIMEOUT_MS);
  }
});

// ---------------------------------------------------------------- internal routes

function heartbeatBody(): NodeHeartbeat {
  return {
    version: "0.0.0-matrix",
    hardware: {
      cpu: { model: "matrix cpu", cores: 2, arch: "x64" },
      memory: { totalMiB: 1_000, freeMiB: 500 },
      cuda: { available: false, gpus: [] },
      device: "cpu",
    },
    models: [],
    load: { queueDepth: 0, running: 0, capacity: 1 },
    draining: false,
  };
}

interface InternalCase {
  name: string;
  run(op: Operation): Promise<Response>;
}

const NODE_TOKEN_CASES: InternalCase[] = [
  { name: "no token", run: async (op) => await call(op.path, { body: heartbeatBody() }) },
  {
    name: "no token and a body that is not a heartbeat",
    run: async (op) => await call(op.path, { body: "{not json" }),
  },
  {
    name: "a malformed Authorization header",
    run: async (op) =>
      await call(op.path, { body: heartbeatBody(), headers: { Authorization: "Basic bm9kZTpub2Rl" } }),
  },
  {
    name: "a forged node token",
    run: async (op) => await call(op.path, { body: heartbeatBody(), token: `nt_${crypto.randomUUID()}` }),
  },
  {
    name: "a user's access token",
    run: async (op) => await call(op.path, { body: heartbeatBody(), token: fx.admin.accessToken }),
  },
  {
    name: "an admin's API key",
    run: async (op) => await call(op.path, { body: heartbeatBody(), token: fx.adminKeyWithoutAdmin }),
  },
  {
    name: "the token of a node the admin removed",
    run: async (op) => {
      const node = await registerMatrixNode(fx.admin);
      const removed = await call(`/v1/admin/nodes/${node.id}`, {
        method: "DELETE",
        token: fx.admin.accessToken,
      });
      expect(removed.status).toBe(204);
      return await call(op.path, { body: heartbeatBody(), token: node.token });
    },
  },
];

function enrollBody(): { name: string; url: string } {
  return { name: "matrix-replica", url: "http://127.0.0.1:9" };
}

const JOIN_SECRET_CASES: InternalCase[] = [
  { name: "no secret", run: async (op) => await call(op.path, { body: enrollBody() }) },
  {
    name: "no secret and a body that is not an enrollment",
    run: async (op) => await call(op.path, { body: "{not json" }),
  },
  {
    name: "a malformed Authorization header",
    run: async (op) =>
      await call(op.path, { body: enrollBody(), headers: { Authorization: "Basic bm9kZTpub2Rl" } }),
  },
  {
    name: "a forged join secret",
    run: async (op) =>
      await call(op.path, { body: enrollBody(), token: `njs_${crypto.randomUUID().replaceAll("-", "")}` }),
  },
  {
    name: "a node's token",
    run: async (op) => {
      const node = await registerMatrixNode(fx.admin);
      return await call(op.path, { body: enrollBody(), token: node.token });
    },
  },
  {
    name: "a user's access token",
    run: async (op) => await call(op.path, { body: enrollBody(), token: fx.admin.accessToken }),
  },
  {
    name: "an admin's API key",
    run: async (op) => await call(op.path, { body: enrollBody(), token: fx.adminKeyWithoutAdmin }),
  },
  {
    name: "a join secret the admin revoked",
    run: async (op) => {
      const joinSecret = await createMatrixJoinSecret(fx.admin);
      const revoked = await call(`/v1/admin/join-secrets/${joinSecret.id}`, {
        method: "DELETE",
        token: fx.admin.accessToken,
      });
      expect(revoked.status).toBe(204);
      return await call(op.path, { body: enrollBody(), token: joinSecret.secret });
    },
  },
  {
    name: "a valid join secret and a URL outside its allowed hosts",
    run: async (op) => {
      const joinSecret = await createMatrixJoinSecret(fx.admin);
      return await call(op.path, {
        body: { name: "matrix-replica", url: "https://elsewhere.example" },
        token: joinSecret.secret,
      });
    },
  },
];

/** The other QStash route, for signatures that name the wrong URL. */
function otherSignedPath(op: Operation): string {
  const other = internalOps.find((o) => o.path !== op.path && INTERNAL[o.key] === "qstash-signature");
  return other?.path ?? "/internal/elsewhere";
}

const QSTASH_CASES: InternalCase[] = [
  { name: "no signature", run: async (op) => await postCallback(op.path, harmlessCallbackBody()) },
  {
    name: "a signature made with another key",
    run: async (op) => {
      const body = harmlessCallbackBody();
      const forged = await qstashSignature(publicUrl(op.path), body, {
        key: `sig_${crypto.randomUUID().replaceAll("-", "")}`,
      });
      return await postCallback(op.path, body, forged);
    },
  },
  {
    name: "an unsigned token (alg none)",
    run: async (op) => {
      const body = harmlessCallbackBody();
      return await postCallback(op.path, body, await unsignedQStashToken(publicUrl(op.path), body));
    },
  },
  {
    name: "a signature that is not a JWT",
    run: async (op) => await postCallback(op.path, harmlessCallbackBody(), "not.a.jwt"),
  },
  {
    name: "a tampered body",
    run: async (op) => {
      const body = harmlessCallbackBody();
      const signature = await qstashSignature(publicUrl(op.path), body);
      return await postCallback(op.path, body.replace('"status":200', '"status":201'), signature);
    },
  },
  {
    name: "a signature for another route",
    run: async (op) => {
      const body = harmlessCallbackBody();
      return await postCallback(op.path, body, await qstashSignature(publicUrl(otherSignedPath(op)), body));
    },
  },
  {
    name: "a delivery replayed after its signature expired",
    run: async (op) => {
      const body = harmlessCallbackBody();
      const old = await qstashSignature(publicUrl(op.path), body, {
        issuedAt: Math.floor(Date.now() / 1000) - 3600,
      });
      return await postCallback(op.path, body, old);
    },
  },
  {
    name: "a delivery replayed while its signature is still valid",
    run: async (op) => {
      const body = harmlessCallbackBody();
      const signature = await qstashSignature(publicUrl(op.path), body);
      const first = await postCallback(op.path, body, signature);
      // The genuine delivery goes through (it names a job the edge never made, so it changes nothing).
      expect(first.status, await first.text()).toBe(200);
      return await postCallback(op.path, body, signature);
    },
  },
];

describe.concurrent("every internal route refuses callers it cannot verify with 401/403", () => {
  for (const op of internalOps) {
    const auth = INTERNAL[op.key];
    const internalCases =
      auth === "node-token" ? NODE_TOKEN_CASES : auth === "join-secret" ? JOIN_SECRET_CASES : QSTASH_CASES;
    const cases: Case[] = internalCases.map((c) => ({
      name: `${c.name} → refused`,
      run: async () => {
        await expectRefusal(await c.run(op), REFUSED, fx.secrets);
      },
    }));
    it(`${op.key} (${cases.length} cases)`, () => runCases(op.key, cases), GROUP_TIMEOUT_MS);
  }
});

describe("a signature is spent only by a delivery the edge handled", () => {
  it("a signed delivery answered 400 may come again with the same signature (and is answered 400 again)", async () => {
    const path = internalOps.find((op) => INTERNAL[op.key] === "qstash-signature")?.path ?? "";
    const body = JSON.stringify({ not: "a callback" });
    const signature = await qstashSignature(publicUrl(path), body);
    for (let attempt = 0; attempt < 2; attempt++) {
      await expectRefusal(await postCallback(path, body, signature), { 400: "VALIDATION_FAILED" });
    }
  });
});

// ---------------------------------------------------------------- nothing changed

describe("after every refusal", () => {
  it("A's resources are all still there, unchanged", async () => {
    // Runs last in this file: every case above that named one of A's resources was refused.
    for (const [kind, check] of Object.entries(fx.stillThere)) expect(await check(), kind).toBe(true);
  });
});
