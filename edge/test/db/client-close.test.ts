import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { edgeEnv } from "../harness.ts";

/**
 * postgres.js on workerd used to leave an unhandled "Stream was cancelled" rejection behind whenever
 * a connection closed (porsager/postgres#1202; patched in patches/). Vitest fails the whole run on an
 * unhandled rejection, so this file fails if the patch is lost.
 */
describe("database client on workerd", () => {
  it("closes its connections without leaving an unhandled rejection", async () => {
    const sql = postgres(edgeEnv.HYPERDRIVE.connectionString, { max: 2, fetch_types: false });
    const [a, b] = await Promise.all([sql`SELECT 1 AS one`, sql`SELECT 2 AS two`]);
    expect(a?.[0]?.one).toBe(1);
    expect(b?.[0]?.two).toBe(2);
    await sql.end();
    await expect(sql`SELECT 1`).rejects.toThrow(/CONNECTION_ENDED|ended/i);
  });
});
