import { SELF } from "cloudflare:test";
import {
  type AdminAuditEntry,
  type AdminUser,
  type AdminUserDetail,
  adminAuditEntrySchema,
  adminUserDetailSchema,
  adminUserSchema,
  pageSchema,
} from "@inkwell/shared";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createInkwellClient } from "../../src/client.ts";
import {
  BASE_URL,
  call,
  createKey,
  expectProblem,
  expectValidationPaths,
  login,
  randomIp,
  registerAdmin,
  registerUser,
  type TestUser,
  testDb,
} from "../harness.ts";

const userPage = pageSchema(adminUserSchema);
const auditPage = pageSchema(adminAuditEntrySchema);

async function ok<T>(res: Response, status: number, parse: (v: unknown) => T): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return parse(JSON.parse(text));
}

async function post(admin: TestUser, path: string, headers: Record<string, string> = {}) {
  return await call(path, { method: "POST", token: admin.accessToken, headers });
}

async function audit(admin: TestUser, query: string): Promise<AdminAuditEntry[]> {
  const page = await ok(await call(`/v1/admin/audit?${query}`, { token: admin.accessToken }), 200, (v) =>
    auditPage.parse(v),
  );
  return page.items;
}

describe.concurrent("user administration", () => {
  it("lists accounts newest first, searched by a part of the email, page by page", async () => {
    const admin = await registerAdmin();
    const [first, second, third] = [await registerUser(), await registerUser(), await registerUser()];
    const list = await ok(await call("/v1/admin/users?limit=100", { token: admin.accessToken }), 200, (v) =>
      userPage.parse(v),
    );
    const ids = list.items.map((u) => u.id);
    // Newest first: the three appear in the reverse of the order they registered.
    expect(ids.indexOf(third.id)).toBeLessThan(ids.indexOf(second.id));
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    const row = list.items.find((u) => u.id === first.id);
    expect(row).toMatchObject({ email: first.email, role: "user", disabled: false, disabledAt: null });
    expect(JSON.stringify(list)).not.toMatch(/password|hash|salt/i);

    // A fragment of the address, in capitals: case does not matter.
    const fragment = second.email.slice(5, 20).toUpperCase();
    const found = await ok(
      await call(`/v1/admin/users?q=${encodeURIComponent(fragment)}`, { token: admin.accessToken }),
      200,
      (v) => userPage.parse(v),
    );
    expect(found.items.map((u) => u.id)).toEqual([second.id]);
    // Characters LIKE would read as patterns are plain text.
    const wild = await ok(await call("/v1/admin/users?q=%25", { token: admin.accessToken }), 200, (v) =>
      userPage.parse(v),
    );
    expect(wild.items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 3; i += 1) {
      const page: { items: AdminUser[]; nextCursor: string | null } = await ok(
        await call(`/v1/admin/users?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, {
          token: admin.accessToken,
        }),
        200,
        (v) => userPage.parse(v),
      );
      expect(page.items).toHaveLength(1);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
      expect(cursor).not.toBeNull();
    }
    expect(new Set(seen).size).toBe(3);

    expect(
      await expectValidationPaths(await call("/v1/admin/users?limit=0", { token: admin.accessToken })),
    ).toEqual(["limit"]);
    expect(
      await expectValidationPaths(await call("/v1/admin/users?disabled=maybe", { token: admin.accessToken })),
    ).toEqual(["disabled"]);
    expect(
      await expectValidationPaths(await call("/v1/admin/users?cursor=forged", { token: admin.accessToken })),
    ).toEqual(["cursor"]);
    await expectProblem(await call("/v1/admin/users", { token: first.accessToken }), 403, "FORBIDDEN");
  });

  it("shows one account with counts, never contents; unknown ids are 404", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    await createKey(user, ["entries:read"]);
    const entry = await call("/v1/entries", { token: user.accessToken, body: { content: "a private line" } });
    expect(entry.status).toBe(201);
    const detail: AdminUserDetail = await ok(
      await call(`/v1/admin/users/${user.id}`, { token: admin.accessToken }),
      200,
      (v) => adminUserDetailSchema.parse(v),
    );
    expect(detail).toMatchObject({
      id: user.id,
      email: user.email,
      entryCount: 1,
      apiKeyCount: 1,
      activeSignIns: 1,
      disabled: false,
    });
    expect(JSON.stringify(detail)).not.toContain("a private line");
    await expectProblem(
      await call(`/v1/admin/users/${crypto.randomUUID()}`, { token: admin.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call("/v1/admin/users/not-an-id", { token: admin.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call(`/v1/admin/users/${user.id}`, { token: user.accessToken }),
      403,
      "FORBIDDEN",
    );
  });

  it("a disabled account cannot sign in, refresh, or use its tokens and keys; enabling lets it back", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const key = await createKey(user, ["entries:read"]);
    expect((await call("/v1/entries", { token: key.key })).status).toBe(200);

    const disabled = await ok(await post(admin, `/v1/admin/users/${user.id}/disable`), 200, (v) =>
      adminUserSchema.parse(v),
    );
    expect(disabled).toMatchObject({ id: user.id, disabled: true });
    expect(disabled.disabledAt).not.toBeNull();

    const problem = await expectProblem(
      await call("/v1/me", { token: user.accessToken }),
      403,
      "ACCOUNT_DISABLED",
    );
    expect(problem.detail).toContain("disabled");
    await expectProblem(await call("/v1/entries", { token: key.key }), 403, "ACCOUNT_DISABLED");
    await expectProblem(
      await call("/v1/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      403,
      "ACCOUNT_DISABLED",
    );
    await expectProblem(await login(user.email, user.password), 403, "ACCOUNT_DISABLED");
    // Without the password nothing tells that the account is disabled.
    await expectProblem(await login(user.email, "not-the-password-at-all"), 401, "UNAUTHENTICATED");
    const listed = await ok(
      await call(`/v1/admin/users?disabled=true&q=${encodeURIComponent(user.email)}`, {
        token: admin.accessToken,
      }),
      200,
      (v) => userPage.parse(v),
    );
    expect(listed.items.map((u) => u.id)).toEqual([user.id]);
    // Disabling a disabled account changes and records nothing.
    expect((await post(admin, `/v1/admin/users/${user.id}/disable`)).status).toBe(200);

    const enabled = await ok(await post(admin, `/v1/admin/users/${user.id}/enable`), 200, (v) =>
      adminUserSchema.parse(v),
    );
    expect(enabled).toMatchObject({ disabled: false, disabledAt: null });
    expect((await call("/v1/entries", { token: key.key })).status).toBe(200);
    // The sessions disabling ended stay ended; the person signs in anew.
    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
    expect((await login(user.email, user.password)).status).toBe(200);
    const enabledList = await ok(
      await call(`/v1/admin/users?disabled=false&q=${encodeURIComponent(user.email)}`, {
        token: admin.accessToken,
      }),
      200,
      (v) => userPage.parse(v),
    );
    expect(enabledList.items.map((u) => u.id)).toEqual([user.id]);

    const actions = (await audit(admin, `targetId=${user.id}`)).map((a) => [a.action, a.actorId]);
    expect(actions).toEqual([
      ["user.enable", admin.id],
      ["user.disable", admin.id],
    ]);
  });

  it("an admin cannot disable or delete their own account; unknown ids are 404", async () => {
    const admin = await registerAdmin();
    await expectProblem(await post(admin, `/v1/admin/users/${admin.id}/disable`), 409, "CONFLICT");
    await expectProblem(
      await call(`/v1/admin/users/${admin.id}`, { method: "DELETE", token: admin.accessToken }),
      409,
      "CONFLICT",
    );
    expect((await call("/v1/me", { token: admin.accessToken })).status).toBe(200);
    for (const path of ["disable", "enable", "sign-out"]) {
      await expectProblem(
        await post(admin, `/v1/admin/users/${crypto.randomUUID()}/${path}`),
        404,
        "NOT_FOUND",
      );
    }
    await expectProblem(
      await call(`/v1/admin/users/${crypto.randomUUID()}`, { method: "DELETE", token: admin.accessToken }),
      404,
      "NOT_FOUND",
    );
  });

  it("an Idempotency-Key replays a disable and records it once", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const first = await post(admin, `/v1/admin/users/${user.id}/disable`, { "Idempotency-Key": "disable-1" });
    const again = await post(admin, `/v1/admin/users/${user.id}/disable`, { "Idempotency-Key": "disable-1" });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    expect((await audit(admin, `targetId=${user.id}`)).map((a) => a.action)).toEqual(["user.disable"]);
  });

  it("force sign-out ends every session and access token at once; API keys keep working", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const key = await createKey(user, ["entries:read"]);
    const res = await post(admin, `/v1/admin/users/${user.id}/sign-out`);
    expect(res.status, await res.clone().text()).toBe(204);
    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
    await expectProblem(
      await call("/v1/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      401,
      "UNAUTHENTICATED",
    );
    expect((await call("/v1/entries", { token: key.key })).status).toBe(200);
    expect((await login(user.email, user.password)).status).toBe(200);
    expect((await audit(admin, `targetId=${user.id}`)).map((a) => a.action)).toEqual(["user.sign-out"]);
  });

  it("deletes an account as DELETE /v1/me does; the audit log keeps only its id", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const entry = await call("/v1/entries", {
      token: user.accessToken,
      body: { content: "gone with the account" },
    });
    expect(entry.status).toBe(201);
    const res = await call(`/v1/admin/users/${user.id}`, { method: "DELETE", token: admin.accessToken });
    const body = await ok(res, 202, (v) => v as { deleted: boolean; purgeJobId: string });
    expect(body.deleted).toBe(true);
    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
    await expectProblem(await login(user.email, user.password), 401, "UNAUTHENTICATED");
    await expectProblem(
      await call(`/v1/admin/users/${user.id}`, { token: admin.accessToken }),
      404,
      "NOT_FOUND",
    );
    const rows = await testDb().execute<{ n: number }>(
      sql`select count(*)::int as n from entries where user_id = ${user.id}::uuid`,
    );
    expect(rows[0]?.n).toBe(0);
    const [record] = await audit(admin, `targetId=${user.id}`);
    expect(record).toMatchObject({ action: "user.delete", targetType: "user", actorId: admin.id });
    expect(JSON.stringify(record)).not.toContain(user.email);
  });

  it("is in the typed client", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const ip = randomIp();
    const api = createInkwellClient(BASE_URL, {
      token: admin.accessToken,
      fetch: (input, init) => {
        const request = new Request(input, init);
        request.headers.set("CF-Connecting-IP", ip);
        return SELF.fetch(request);
      },
    });
    const found = await api.v1.admin.users.$get({ query: { q: user.email } });
    if (found.status !== 200) throw new Error(`status ${found.status}`);
    expect((await found.json()).items.map((u) => u.id)).toEqual([user.id]);
    const disabled = await api.v1.admin.users[":id"].disable.$post({ param: { id: user.id } });
    if (disabled.status !== 200) throw new Error(`status ${disabled.status}`);
    expect((await disabled.json()).disabled).toBe(true);
    const log = await api.v1.admin.audit.$get({ query: { targetId: user.id } });
    if (log.status !== 200) throw new Error(`status ${log.status}`);
    expect((await log.json()).items.map((a) => a.action)).toEqual(["user.disable"]);
  });
});

describe.concurrent("the audit log", () => {
  it("records every administrator change, newest first, with a few facts and no secrets", async () => {
    const [admin, user] = await Promise.all([registerAdmin(), registerUser()]);
    const nodeRes = await call("/v1/admin/nodes", {
      token: admin.accessToken,
      body: { name: `audit-${crypto.randomUUID().slice(0, 8)}`, url: "http://127.0.0.1:9" },
    });
    const node = await ok(nodeRes, 201, (v) => v as { id: string; token: string });
    expect((await post(admin, `/v1/admin/nodes/${node.id}/drain`)).status).toBe(204);
    expect(
      (await call(`/v1/admin/nodes/${node.id}/drain`, { method: "DELETE", token: admin.accessToken })).status,
    ).toBe(204);
    expect(
      (await call(`/v1/admin/nodes/${node.id}`, { method: "DELETE", token: admin.accessToken })).status,
    ).toBe(204);
    const secret = await ok(
      await call("/v1/admin/join-secrets", {
        token: admin.accessToken,
        body: { name: `audit-${crypto.randomUUID().slice(0, 8)}`, allowedHosts: ["127.0.0.1:9"] },
      }),
      201,
      (v) => v as { id: string; secret: string },
    );
    expect(
      (await call(`/v1/admin/join-secrets/${secret.id}`, { method: "DELETE", token: admin.accessToken }))
        .status,
    ).toBe(204);
    const reset = await ok(
      await post(admin, `/v1/admin/users/${user.id}/password-reset`),
      201,
      (v) => v as { token: string },
    );

    const mine = await audit(admin, `actorId=${admin.id}&limit=100`);
    expect(mine.map((a) => a.action)).toEqual([
      "user.password-reset",
      "join-secret.revoke",
      "join-secret.create",
      "node.delete",
      "node.resume",
      "node.drain",
      "node.create",
    ]);
    expect(mine.find((a) => a.action === "node.create")).toMatchObject({
      targetType: "node",
      targetId: node.id,
      detail: { url: "http://127.0.0.1:9" },
    });
    expect(mine.find((a) => a.action === "join-secret.revoke")?.detail).toEqual({ removedNodes: 0 });
    const text = JSON.stringify(mine);
    for (const secretValue of [node.token, secret.secret, reset.token, user.email]) {
      expect(text).not.toContain(secretValue);
    }

    const filtered = await audit(admin, `actorId=${admin.id}&action=node.drain`);
    expect(filtered.map((a) => a.targetId)).toEqual([node.id]);
    const page1 = await ok(
      await call(`/v1/admin/audit?actorId=${admin.id}&limit=4`, { token: admin.accessToken }),
      200,
      (v) => auditPage.parse(v),
    );
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await ok(
      await call(
        `/v1/admin/audit?actorId=${admin.id}&limit=4&cursor=${encodeURIComponent(page1.nextCursor ?? "")}`,
        { token: admin.accessToken },
      ),
      200,
      (v) => auditPage.parse(v),
    );
    expect([...page1.items, ...page2.items].map((a) => a.id)).toEqual(mine.map((a) => a.id));
    expect(page2.nextCursor).toBeNull();

    expect(
      await expectValidationPaths(
        await call("/v1/admin/audit?action=user.wave", { token: admin.accessToken }),
      ),
    ).toEqual(["action"]);
    await expectProblem(await call("/v1/admin/audit", { token: user.accessToken }), 403, "FORBIDDEN");
    const adminKey = await createKey(admin, ["entries:read"]);
    await expectProblem(await call("/v1/admin/audit", { token: adminKey.key }), 403, "FORBIDDEN");
  });

  it("records a job retry and a reindex", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    const entry = await ok(
      await call("/v1/entries", { token: user.accessToken, body: { content: "retry me" } }),
      201,
      (v) => v as { jobId: string },
    );
    await testDb().execute(
      sql`update jobs set status = 'failed', error = 'test', finished_at = now() where id = ${entry.jobId}::uuid`,
    );
    expect((await post(admin, `/v1/admin/jobs/${entry.jobId}/retry`)).status).toBe(202);
    const reindex = await ok(
      await call("/v1/admin/reindex", { token: admin.accessToken, body: { model: "audit-test-model" } }),
      202,
      (v) => v as { jobIds: string[] },
    );
    const mine = await audit(admin, `actorId=${admin.id}`);
    expect(mine.map((a) => [a.action, a.targetId])).toEqual([
      ["reindex", null],
      ["job.retry", entry.jobId],
    ]);
    expect(mine[0]?.detail).toEqual({ models: ["audit-test-model"], jobIds: reindex.jobIds });
  });
});
