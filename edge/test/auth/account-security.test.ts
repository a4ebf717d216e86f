import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { type AccountSecurity, accountSecuritySchema, authTokensSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import {
  buildRequest,
  call,
  createKey,
  edgeEnv,
  expectProblem,
  registerUser,
  type TestUser,
  uniqueEmail,
} from "../harness.ts";

/**
 * A sign-in as Cloudflare would hand it to the Worker (with `request.cf`), waiting for the work done
 * after the response: that is when the sign-in is recorded.
 */
async function signIn(
  email: string,
  password: string,
  from: { cf?: Record<string, string>; userAgent?: string } = {},
): Promise<Response> {
  const request = buildRequest("/v1/auth/login", {
    body: { email, password },
    headers: from.userAgent ? { "User-Agent": from.userAgent } : {},
  });
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(request, { cf: from.cf ?? {} }), edgeEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function security(user: TestUser, token = user.accessToken): Promise<AccountSecurity> {
  const res = await call("/v1/me/security", { token });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  for (const secret of [user.password, user.refreshToken, user.accessToken])
    expect(text).not.toContain(secret);
  return accountSecuritySchema.parse(JSON.parse(text));
}

describe.concurrent("GET /v1/me/security", () => {
  it("shows sign-ins with their country, city and client, and the sessions they started", async () => {
    const user = await registerUser();
    const res = await signIn(user.email, user.password, {
      cf: { country: "DE", city: "Berlin", colo: "TXL" },
      userAgent: "Inkwell-iOS/3.1",
    });
    expect(res.status).toBe(200);
    const signedIn = authTokensSchema.parse(await res.json());

    const view = await security(user);
    // Found rather than taken first: the registration's own sign-in is recorded after its response too.
    expect(view.signIns.find((s) => s.country === "DE")).toMatchObject({
      succeeded: true,
      country: "DE",
      city: "Berlin",
      userAgent: "Inkwell-iOS/3.1",
    });
    // The registration's session and this one.
    expect(view.sessions).toHaveLength(2);
    const berlin = view.sessions.find((s) => s.city === "Berlin");
    expect(berlin).toMatchObject({ country: "DE", userAgent: "Inkwell-iOS/3.1" });
    expect(new Date(berlin?.expiresAt ?? 0).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    // A refresh keeps the session and moves its last activity.
    const refreshed = await call("/v1/auth/refresh", { body: { refreshToken: signedIn.refreshToken } });
    expect(refreshed.status).toBe(200);
    const after = await security(user);
    expect(after.sessions.map((s) => s.id).sort()).toEqual(view.sessions.map((s) => s.id).sort());
    const moved = after.sessions.find((s) => s.id === berlin?.id);
    expect(new Date(moved?.lastActiveAt ?? 0).getTime()).toBeGreaterThan(
      new Date(berlin?.lastActiveAt ?? 0).getTime(),
    );
  });

  it("records refused sign-ins of the account, and answers unknown addresses the same without recording", async () => {
    const user = await registerUser();
    const wrong = await signIn(user.email, "not-the-password", { cf: { country: "FR" } });
    const unknown = await signIn(uniqueEmail(), "not-the-password", { cf: { country: "FR" } });
    const [a, b] = [
      await expectProblem(wrong, 401, "UNAUTHENTICATED"),
      await expectProblem(unknown, 401, "UNAUTHENTICATED"),
    ];
    expect({ ...a, requestId: "" }).toEqual({ ...b, requestId: "" });

    const view = await security(user);
    expect(view.signIns.find((s) => !s.succeeded)).toMatchObject({
      country: "FR",
      city: null,
      userAgent: null,
    });
    expect(view.signIns.filter((s) => !s.succeeded)).toHaveLength(1);
    // A refused sign-in starts no session.
    expect(view.sessions).toHaveLength(1);
  });

  it("cuts the client's User-Agent to 200 characters and drops control characters", async () => {
    const user = await registerUser();
    await signIn(user.email, user.password, { userAgent: `Agent\u0007${"x".repeat(400)}` });
    const latest = (await security(user)).signIns.find((s) => s.userAgent?.startsWith("Agent"));
    expect(latest?.userAgent).toBe(`Agent${"x".repeat(195)}`);
    expect(latest?.country).toBeNull();
  });

  it("lists the API keys; a key deleted with DELETE /v1/api-keys/{id} leaves the view", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read"], { name: "laptop" });
    const view = await security(user);
    expect(view.apiKeys).toEqual([
      expect.objectContaining({ id: key.id, name: "laptop", prefix: key.prefix }),
    ]);
    expect(JSON.stringify(view)).not.toContain(key.key);
    expect((await call(`/v1/api-keys/${key.id}`, { method: "DELETE", token: user.accessToken })).status).toBe(
      204,
    );
    expect((await security(user)).apiKeys).toEqual([]);
  });

  it("needs a token (401) and a signed-in session, not an API key (403)", async () => {
    await expectProblem(await call("/v1/me/security"), 401, "UNAUTHENTICATED");
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write", "ai"]);
    await expectProblem(await call("/v1/me/security", { token: key.key }), 403, "FORBIDDEN");
  });
});

describe.concurrent("DELETE /v1/me/sessions/{id}", () => {
  it("signs one session out and leaves the others", async () => {
    const user = await registerUser();
    const other = authTokensSchema.parse(await (await signIn(user.email, user.password)).json());
    const view = await security(user);
    expect(view.sessions).toHaveLength(2);
    // The registration's session is the older one.
    const first = [...view.sessions].sort((x, y) => x.createdAt.localeCompare(y.createdAt))[0];
    const res = await call(`/v1/me/sessions/${first?.id}`, { method: "DELETE", token: other.accessToken });
    expect(res.status).toBe(204);

    await expectProblem(
      await call("/v1/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      401,
      "UNAUTHENTICATED",
    );
    expect((await call("/v1/auth/refresh", { body: { refreshToken: other.refreshToken } })).status).toBe(200);
    const after = await security(user, other.accessToken);
    expect(after.sessions.map((s) => s.id)).not.toContain(first?.id);
    expect(after.sessions).toHaveLength(1);
    // Already ended: as if it never existed.
    await expectProblem(
      await call(`/v1/me/sessions/${first?.id}`, { method: "DELETE", token: other.accessToken }),
      404,
      "NOT_FOUND",
    );
  });

  it("answers another user's session 404, like one that never existed, and leaves it signed in", async () => {
    const [a, b] = await Promise.all([registerUser(), registerUser()]);
    const [theirs] = (await security(a)).sessions;
    const p1 = await expectProblem(
      await call(`/v1/me/sessions/${theirs?.id}`, { method: "DELETE", token: b.accessToken }),
      404,
      "NOT_FOUND",
    );
    const p2 = await expectProblem(
      await call(`/v1/me/sessions/${crypto.randomUUID()}`, { method: "DELETE", token: b.accessToken }),
      404,
      "NOT_FOUND",
    );
    expect(p1.detail).toBe(p2.detail);
    await expectProblem(
      await call("/v1/me/sessions/not-an-id", { method: "DELETE", token: b.accessToken }),
      404,
      "NOT_FOUND",
    );
    expect((await call("/v1/auth/refresh", { body: { refreshToken: a.refreshToken } })).status).toBe(200);
  });

  it("needs a signed-in session, not an API key (403)", async () => {
    const user = await registerUser();
    const [session] = (await security(user)).sessions;
    const key = await createKey(user, ["entries:read", "entries:write", "ai"]);
    await expectProblem(
      await call(`/v1/me/sessions/${session?.id}`, { method: "DELETE", token: key.key }),
      403,
      "FORBIDDEN",
    );
    await expectProblem(
      await call(`/v1/me/sessions/${session?.id}`, { method: "DELETE" }),
      401,
      "UNAUTHENTICATED",
    );
  });
});
