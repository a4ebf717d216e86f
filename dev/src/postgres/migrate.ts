import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { repoRoot } from "../lib/paths.ts";

export const migrationsFolder = path.join(repoRoot, "migrations");

async function appliedCount(sql: postgres.Sql): Promise<number> {
  const [table] = await sql<{ exists: boolean }[]>`
    select to_regclass('drizzle.__drizzle_migrations') is not null as exists`;
  if (!table?.exists) return 0;
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
  return row?.n ?? 0;
}

/**
 * Applies every migration in migrations/ that the database has not seen (drizzle's journal); answers how
 * many were recorded before and after.
 */
export async function migrateDatabase(url: string): Promise<{ before: number; after: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const before = await appliedCount(sql);
    await migrate(drizzle(sql), { migrationsFolder });
    return { before, after: await appliedCount(sql) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
