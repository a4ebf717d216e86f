import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, expectProblem, registerAdmin, registerUser, type TestUser, testDb } from "../harness.ts";

/*
 * Every administrator action and its audit row commit together or not at all. To see the "not at all"
 * half, the audit log is made to refuse one administrator's rows (a trigger that fires only for that
 * actor, so tests running beside this one are untouched): each of their actions must then fail and
 * leave nothing changed, and once the log accepts rows again the same action goes through and is logged.
 */

async function refuseAuditRowsOf(actorId: string): Promise<() => Promise<void>> {
  const name = `refuse_audit_${actorId.replaceAll("-", "")}`;
  const db = testDb();
  await db.execute(
    sql.raw(`create function ${name}() returns trigger language plpgsql as $$
      begin raise exception 'audit log refuses this row'; end $$`),
  );
  await db.execute(
    sql.raw(`create trigger ${name} before insert on admin_audit_log for each row
      when (new.actor_id = '${actorId}'::uuid) execute function ${name}()`),
  );
  return async () => {
    await db.execute(sql.raw(`drop trigger if exists ${name} on admin_audit_log`));
    await db.execute(sql.raw(`drop function if exists ${name}()`));
  };
}

async function created<T>(res: Response): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as T;
}

const as = (admin: TestUser, path: string, init: { method?: string; body?: unknown } = {}) =>
  call(path, { method: init.method ?? "POST", token: admin.accessToken, body: init.body });

async function auditCount(actorId: string): Promise<number> {
  const [row] = await testDb().execute<{ n: number }>(
    sql`select count(*)::int as n from admin_audit_log where actor_id = ${actorId}::uuid`,
  );
  return row?.n ?? 0;
}

describe("administrator actions and their audit rows", () => {
  it("commit together: when the audit row cannot be written, the action does not happen", async () => {
    const [admin, helper, user] = await Promise.all([registerAdmin(), registerAdmin(), registerUser()]);
    const db = testDb();
    const tag = crypto.randomUUID().slice(0, 8);
    // What the refused administrator will act on, made by another one.
    const node = await created<{ id: string }>(
      await as(helper, "/v1/admin/nodes", { body: { name: `atomic-${tag}`, url: "http://127.0.0.1:9" } }),
    );
    const secret = await created<{ id: string }>(
      await as(helper, "/v1/admin/join-secrets", {
        body: { name: `atomic-${tag}`, allowedHosts: ["127.0.0.1:9"] },
      }),
    );
    const entry = await created<{ jobId: string }>(
      await call("/v1/entries", { token: user.accessToken, body: { content: "a job to retry" } }),
    );
    await db.execute(
      sql`update jobs set status = 'failed', error = 'test', finished_at = now() where id = ${entry.jobId}::uuid`,
    );
    const model = `atomic-model-${tag}`;

    const allow = await refuseAuditRowsOf(admin.id);
    try {
      const refused: [string, Response][] = [
        [
          "create node",
          await as(admin, "/v1/admin/nodes", {
            body: { name: `atomic-new-${tag}`, url: "http://127.0.0.1:9" },
          }),
        ],
        [
          "move node",
          await as(admin, `/v1/admin/nodes/${node.id}`, {
            method: "PATCH",
            body: { url: "http://127.0.0.1:10" },
          }),
        ],
        ["drain node", await as(admin, `/v1/admin/nodes/${node.id}/drain`)],
        ["delete node", await as(admin, `/v1/admin/nodes/${node.id}`, { method: "DELETE" })],
        [
          "create join secret",
          await as(admin, "/v1/admin/join-secrets", {
            body: { name: `atomic-new-${tag}`, allowedHosts: ["127.0.0.1:9"] },
          }),
        ],
        [
          "revoke join secret",
          await as(admin, `/v1/admin/join-secrets/${secret.id}?nodes=remove`, { method: "DELETE" }),
        ],
        ["retry job", await as(admin, `/v1/admin/jobs/${entry.jobId}/retry`)],
        ["reindex", await as(admin, "/v1/admin/reindex", { body: { model } })],
        ["disable user", await as(admin, `/v1/admin/users/${user.id}/disable`)],
        ["sign user out", await as(admin, `/v1/admin/users/${user.id}/sign-out`)],
        ["password reset", await as(admin, `/v1/admin/users/${user.id}/password-reset`)],
        ["delete user", await as(admin, `/v1/admin/users/${user.id}`, { method: "DELETE" })],
      ];
      for (const [action, res] of refused) {
        expect(res.status, action).toBe(500);
        await expectProblem(res, 500, "INTERNAL");
      }
    } finally {
      await allow();
    }

    // Nothing of it happened.
    const nodes = await db.execute<{ id: string; url: string; draining: boolean }>(
      sql`select id, url, draining from nodes where name in (${`atomic-${tag}`}, ${`atomic-new-${tag}`})`,
    );
    expect(nodes.map((n) => ({ ...n }))).toEqual([
      { id: node.id, url: "http://127.0.0.1:9", draining: false },
    ]);
    const secrets = await db.execute<{ id: string; revoked: boolean }>(
      sql`select id, revoked_at is not null as revoked from node_join_secrets
          where name in (${`atomic-${tag}`}, ${`atomic-new-${tag}`})`,
    );
    expect(secrets.map((s) => ({ ...s }))).toEqual([{ id: secret.id, revoked: false }]);
    const [job] = await db.execute<{ status: string }>(
      sql`select status from jobs where id = ${entry.jobId}::uuid`,
    );
    expect(job?.status).toBe("failed");
    const reindexJobs = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from jobs where kind = 'reindex' and payload->>'model' = ${model}`,
    );
    expect(reindexJobs[0]?.n).toBe(0);
    const resets = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from password_reset_tokens where user_id = ${user.id}::uuid`,
    );
    expect(resets[0]?.n).toBe(0);
    // The account is there, enabled, and its sign-in still works.
    const [account] = await db.execute<{ disabled: boolean }>(
      sql`select disabled_at is not null as disabled from users where id = ${user.id}::uuid`,
    );
    expect(account?.disabled).toBe(false);
    expect((await call("/v1/me", { token: user.accessToken })).status).toBe(200);
    expect(await auditCount(admin.id)).toBe(0);

    // With the log accepting rows again, the same actions go through, each with its row.
    expect((await as(admin, `/v1/admin/nodes/${node.id}/drain`)).status).toBe(204);
    expect((await as(admin, `/v1/admin/jobs/${entry.jobId}/retry`)).status).toBe(202);
    expect((await as(admin, `/v1/admin/users/${user.id}/sign-out`)).status).toBe(204);
    expect((await call("/v1/me", { token: user.accessToken })).status).toBe(401);
    expect(await auditCount(admin.id)).toBe(3);
  });
});
