import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateCommand } from "../../src/commands/migrate.ts";
import { freePort } from "../../src/lib/ports.ts";
import { type RunningPostgres, resolvePostgresDataDir, startPostgres } from "../../src/postgres/embedded.ts";
import { migrationsFolder } from "../../src/postgres/migrate.ts";

const journal = (await import(path.join(migrationsFolder, "meta/_journal.json"), { with: { type: "json" } }))
  .default as { entries: { tag: string }[] };

let pg: RunningPostgres;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "inkwell-migrate-"));
  pg = await startPostgres({
    port: await freePort(),
    dataDir: resolvePostgresDataDir(path.join(dir, "pg")),
    persistent: false,
    log: () => {},
  });
});

afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run db:migrate", () => {
  it("refuses to run without DATABASE_URL and says what to set", async () => {
    expect(await migrateCommand({})).toBe(2);
  });

  it("migrates an empty database with nothing but DATABASE_URL, and a second run changes nothing", async () => {
    expect(await migrateCommand({ DATABASE_URL: pg.url })).toBe(0);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(row?.n).toBe(journal.entries.length);
      const tables = await sql`select 1 from information_schema.tables where table_name = 'entries'`;
      expect(tables).toHaveLength(1);
      expect(await migrateCommand({ DATABASE_URL: pg.url })).toBe(0);
      const [again] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(again?.n).toBe(journal.entries.length);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }, 60_000);
});
