import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createDatabase } from "@inkwell/edge/db/client";
import { envSchema } from "@inkwell/edge/env";
import { type Peppers, peppersFromConfig } from "@inkwell/edge/lib/password";
import { createAdmin, promoteToAdmin } from "@inkwell/edge/services/admin-bootstrap";
import { InkwellError } from "@inkwell/shared";
import { portsFromEnv } from "../config.ts";
import { dataRoot, repoRoot } from "../lib/paths.ts";
import { startPostgres } from "../postgres/embedded.ts";
import { migrateDatabase } from "../postgres/migrate.ts";
import { loadOrCreateDevSecrets, parseDotenv } from "../secrets.ts";

const say = (message: string) => process.stdout.write(`${message}\n`);

const usage = `Usage:
  npm run admin -- create-admin --email you@example.com   (password read from INKWELL_ADMIN_PASSWORD or stdin)
  npm run admin -- promote --email you@example.com

Works on DATABASE_URL when set, otherwise on the local development database (.data/dev).
create-admin hashes with the Worker's PASSWORD_PEPPER (and PASSWORD_PEPPER_VERSION): from the environment
when DATABASE_URL is set, otherwise from .dev.vars, as \`npm run dev\` does.`;

const pepperSettings = envSchema.pick({
  PASSWORD_PEPPER: true,
  PASSWORD_PEPPER_VERSION: true,
  PASSWORD_PREVIOUS_PEPPER: true,
});

/**
 * The pepper the Worker hashes with: an admin hashed with any other could never sign in. A deployed
 * database needs it in the environment; the development one uses .dev.vars, which `npm run dev` reads.
 */
function peppersFor(deployed: boolean): Peppers | string {
  let source: Record<string, string | undefined> = process.env;
  if (!deployed && !process.env.PASSWORD_PEPPER) {
    const devVars = path.join(repoRoot, ".dev.vars");
    loadOrCreateDevSecrets(devVars);
    source = parseDotenv(readFileSync(devVars, "utf8"));
  }
  const parsed = pepperSettings.safeParse(source);
  if (parsed.success) return peppersFromConfig(parsed.data);
  // Names the setting, never its value.
  return `Set the Worker's password pepper: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}.`;
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.INKWELL_ADMIN_PASSWORD;
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY)
    say("Password for the new administrator (input is not hidden; pipe it in to keep it off screen):");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString("utf8").split("\n")[0]?.trim() ?? "";
}

/** `npm run admin`: operator commands that must never exist as API routes (the first admin). */
export async function adminCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { email: { type: "string" } }, strict: true });
  if ((sub !== "create-admin" && sub !== "promote") || !values.email) {
    say(usage);
    return sub === undefined || sub === "help" ? 0 : 1;
  }
  let url = process.env.DATABASE_URL;
  const peppers = sub === "create-admin" ? peppersFor(url !== undefined) : undefined;
  if (typeof peppers === "string") {
    say(`✖ ${peppers}`);
    return 1;
  }
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    // The development database; started just for this command when `npm run dev` is not running.
    const ports = portsFromEnv(process.env);
    try {
      const pg = await startPostgres({
        port: ports.postgres,
        dataDir: path.join(dataRoot, "dev", "postgres"),
        persistent: true,
        log: () => {},
      });
      url = pg.url;
      stop = pg.stop;
    } catch (err) {
      say(
        `Could not open the development database (${err instanceof Error ? err.message : String(err)}). ` +
          "Stop `npm run dev` first, or set DATABASE_URL.",
      );
      return 1;
    }
  }
  try {
    await migrateDatabase(url);
    const { db } = createDatabase(url);
    if (sub === "promote") {
      const user = await promoteToAdmin(db, values.email);
      say(`${user.email} is now an administrator.`);
    } else {
      if (!peppers) throw new Error("create-admin runs with the password pepper");
      const admin = await createAdmin(db, peppers, { email: values.email, password: await readPassword() });
      say(`Created administrator ${admin.email} (${admin.id}). Sign in with POST /v1/auth/login.`);
    }
    return 0;
  } catch (err) {
    if (err instanceof InkwellError) {
      say(`✖ ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await stop?.();
  }
}
