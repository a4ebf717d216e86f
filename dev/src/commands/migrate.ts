import { migrateDatabase, migrationsFolder } from "../postgres/migrate.ts";

/**
 * `npm run db:migrate`: applies `migrations/` to the Postgres at `DATABASE_URL`, nothing else needed
 * (no local stack). Production upgrades run it before `wrangler deploy`: a Worker newer than its
 * database answers `/health/ready` with "schema behind".
 */
export async function migrateCommand(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const url = env.DATABASE_URL?.trim();
  if (!url) {
    process.stderr.write(
      "DATABASE_URL is not set. Run: DATABASE_URL=postgres://user:password@host:5432/db npm run db:migrate\n" +
        "(the direct connection string of the database behind Hyperdrive, not the Hyperdrive URL)\n",
    );
    return 2;
  }
  let host = "the database";
  try {
    host = new URL(url).host || host;
  } catch {
    process.stderr.write("DATABASE_URL is not a valid postgres:// URL.\n");
    return 2;
  }
  process.stdout.write(`Applying ${migrationsFolder} to ${host} …\n`);
  const { before, after } = await migrateDatabase(url);
  process.stdout.write(
    after === before
      ? `Schema already current (${after} migrations).\n`
      : `Applied ${after - before} migration(s); the database now has ${after}.\n`,
  );
  return 0;
}
