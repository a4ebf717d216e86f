import path from "node:path";
import { parseArgs } from "node:util";
import { InkwellError } from "@inkwell/shared";
import { createDatabase } from "../../../edge/src/db/client.ts";
import { createAdmin, promoteToAdmin } from "../../../edge/src/services/admin-bootstrap.ts";
import { portsFromEnv } from "../config.ts";
import { dataRoot } from "../lib/paths.ts";
import { startPostgres } from "../postgres/embedded.ts";
import { migrateDatabase } from "../postgres/migrate.ts";

const say = (message: string) => process.stdout.write(`${message}\n`);

const usage = `Usage:
  npm run admin -- create-admin --email you@example.com   (password read from INKWELL_ADMIN_PASSWORD or stdin)
  npm run admin -- promote --email you@example.com

Works on DATABASE_URL when set, otherwise on the local development database (.data/dev).`;

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
      const admin = await createAdmin(db, { email: values.email, password: await readPassword() });
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
