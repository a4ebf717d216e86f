import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { TRANSACTION_ATTEMPTS } from "../../src/db/client.ts";
import type { AppEnv } from "../../src/hono-env.ts";
import { problemResponse } from "../../src/lib/problem.ts";
import { testDb } from "../harness.ts";

function latch(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe("db.transaction", () => {
  it("reruns the deadlock victim instead of failing: both writers' changes land", async () => {
    const db = testDb();
    const table = sql.identifier(`deadlock_probe_${crypto.randomUUID().replaceAll("-", "")}`);
    await db.execute(sql`create table ${table} (id int primary key, v int not null)`);
    try {
      await db.execute(sql`insert into ${table} values (1, 0), (2, 0)`);
      const aHolds = latch();
      const bHolds = latch();
      const runs = { a: 0, b: 0 };
      // Each holds one row and then wants the other's: Postgres aborts one of them as a deadlock.
      const a = db.transaction(async (tx) => {
        runs.a += 1;
        await tx.execute(sql`update ${table} set v = v + 1 where id = 1`);
        aHolds.open();
        await bHolds.opened;
        await tx.execute(sql`update ${table} set v = v + 10 where id = 2`);
      });
      const b = db.transaction(async (tx) => {
        runs.b += 1;
        await tx.execute(sql`update ${table} set v = v + 100 where id = 2`);
        bHolds.open();
        await aHolds.opened;
        await tx.execute(sql`update ${table} set v = v + 1000 where id = 1`);
      });
      await Promise.all([a, b]);
      // Exactly one of them ran twice, and each change was applied once.
      expect(runs.a + runs.b).toBe(3);
      expect(Math.max(runs.a, runs.b)).toBeLessThanOrEqual(TRANSACTION_ATTEMPTS);
      const rows = await db.execute<{ id: number; v: number }>(sql`select id, v from ${table} order by id`);
      expect(rows.map((r) => Number(r.v))).toEqual([1001, 110]);
    } finally {
      await db.execute(sql`drop table ${table}`);
    }
  });

  it("does not rerun a transaction that failed for another reason", async () => {
    const db = testDb();
    let runs = 0;
    await expect(
      db.transaction(async (tx) => {
        runs += 1;
        await tx.execute(sql`select 1 / 0`);
      }),
    ).rejects.toThrow();
    expect(runs).toBe(1);
  });

  it("gives up after its attempts when Postgres keeps aborting it, and the API answers 503 with Retry-After", async () => {
    const db = testDb();
    let runs = 0;
    const app = new Hono<AppEnv>();
    app.post("/", async (c) => {
      await db.transaction(async (tx) => {
        runs += 1;
        // Postgres itself raises the deadlock SQLSTATE on every attempt.
        await tx.execute(
          sql`do $$ begin raise exception 'deadlock detected' using errcode = '40P01'; end $$`,
        );
      });
      return c.body(null, 204);
    });
    app.onError((err, c) => problemResponse(c, err));
    const res = await app.request("/", { method: "POST" });
    expect(runs).toBe(TRANSACTION_ATTEMPTS);
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });

  it("a write whose parent row was deleted meanwhile answers 409, not 500", async () => {
    // A create racing the writer's own account deletion (or a topic's) fails its foreign-key check.
    const db = testDb();
    const app = new Hono<AppEnv>();
    app.post("/", async (c) => {
      await db.execute(
        sql`do $$ begin raise exception 'insert or update violates foreign key constraint' using errcode = '23503'; end $$`,
      );
      return c.body(null, 204);
    });
    app.onError((err, c) => problemResponse(c, err));
    const res = await app.request("/", { method: "POST" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: "CONFLICT" });
  });
});
