import { authTokensSchema } from "@inkwell/shared";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, expectProblem, newPassword, registerUser, type TestUser, testDb } from "../harness.ts";
import { eventually } from "../pipeline/helpers.ts";

async function refresh(refreshToken: string): Promise<Response> {
  return await call("/v1/auth/refresh", { body: { refreshToken } });
}

/** Backends waiting on a lock that one of `pids` holds or waits for ahead of them. */
async function blockedBy(pids: readonly number[]): Promise<number[]> {
  const list = sql.raw(`array[${pids.map((p) => Math.trunc(p)).join(",")}]::int[]`);
  const rows = await testDb().execute<{ pid: number }>(
    sql`select pid from pg_stat_activity where pg_blocking_pids(pid) && ${list}`,
  );
  return [...rows].map((r) => Number(r.pid));
}

/**
 * Forces the interleaving the race needs, whatever the code under test locks: a rotation starts while
 * the user's row is locked elsewhere (so it stalls, either at that lock or with its successor written
 * but uncommitted, at the foreign-key check), then `other` starts and stalls too; only then is the row
 * released. A revoking statement that cannot see the rotation's successor leaves it alive.
 */
async function rotateDuring(
  user: TestUser,
  other: () => Promise<Response>,
): Promise<{ rotated: Response; other: Response }> {
  const started = await testDb().transaction(async (tx) => {
    const [holder] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    const holderPid = Number(holder?.pid);
    await tx.execute(sql`select 1 from users where id = ${user.id} for update`);
    const rotating = refresh(user.refreshToken);
    const [rotationPid = holderPid] = await eventually(async () => {
      const pids = await blockedBy([holderPid]);
      return pids.length >= 1 ? pids : undefined;
    });
    const othering = other();
    await eventually(async () => {
      const pids = await blockedBy([holderPid, rotationPid]);
      return pids.length >= 2 ? pids : undefined;
    });
    // Returned unawaited: the lock is released when this transaction commits.
    return { rotating, othering };
  });
  return { rotated: await started.rotating, other: await started.othering };
}

/** A rotation that won leaves a token; after the revocation it must not work. */
async function expectNoLiveToken(rotated: Response): Promise<void> {
  if (rotated.status !== 200) {
    await expectProblem(rotated, 401, "UNAUTHENTICATED");
    return;
  }
  const pair = authTokensSchema.parse(await rotated.json());
  await expectProblem(await refresh(pair.refreshToken), 401, "UNAUTHENTICATED");
  await expectProblem(await call("/v1/me", { token: pair.accessToken }), 401, "UNAUTHENTICATED");
}

describe("refresh rotation racing revocation", () => {
  it("logout-all leaves no live refresh token behind a rotation in flight", async () => {
    const user = await registerUser();
    const { rotated, other } = await rotateDuring(user, () =>
      call("/v1/auth/logout-all", { method: "POST", token: user.accessToken }),
    );
    expect(other.status).toBe(204);
    await expectNoLiveToken(rotated);
  });

  it("a password change leaves no live refresh token behind a rotation in flight", async () => {
    const user = await registerUser();
    const { rotated, other } = await rotateDuring(user, () =>
      call("/v1/me/password", {
        token: user.accessToken,
        body: { currentPassword: user.password, newPassword: newPassword() },
      }),
    );
    expect(other.status).toBeLessThan(300);
    await expectNoLiveToken(rotated);
  });

  it("signing out of the family leaves no live refresh token behind a rotation in flight", async () => {
    const user = await registerUser();
    const { rotated, other } = await rotateDuring(user, () =>
      call("/v1/auth/logout", { body: { refreshToken: user.refreshToken } }),
    );
    expect(other.status).toBe(204);
    if (rotated.status === 200) {
      const pair = authTokensSchema.parse(await rotated.json());
      await expectProblem(await refresh(pair.refreshToken), 401, "UNAUTHENTICATED");
    }
  });
});
