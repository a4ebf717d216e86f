import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { assertPortFree, waitForPort } from "../lib/ports.ts";
import { ManagedProcess } from "../lib/process.ts";

const INSTALL_HINT =
  "redis-server is not installed. Install it with: sudo apt-get install redis-server (Debian/Ubuntu), " +
  "brew install redis (macOS) or sudo dnf install redis (Fedora), then start the stack again.";

// Debian puts daemons in /usr/sbin or /usr/bin, source builds in /usr/local/bin; a non-login PATH
// (systemd units, IDE terminals) often lacks some of them, so look there explicitly too.
const EXTRA_DIRS = ["/usr/bin", "/usr/sbin", "/usr/local/bin"];

function findRedisServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, "redis-server");
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not there or not executable: keep looking.
    }
  }
  return undefined;
}

async function runStreaming(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        if (line.trim()) log(line);
      });
    }
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/**
 * Path of a usable redis-server. Installs Debian's package when we can do so without asking anyone
 * (root on Debian/Ubuntu, e.g. a fresh CI box or container); otherwise says what to install.
 */
export async function ensureRedisServer(log: (msg: string) => void): Promise<string> {
  const found = findRedisServer();
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync("/etc/debian_version")) throw new Error(INSTALL_HINT);

  log("redis-server not found; installing Debian's redis-server package with apt-get");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    await runStreaming("apt-get", ["update"], env, log);
    await runStreaming("apt-get", ["install", "-y", "--no-install-recommends", "redis-server"], env, log);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${INSTALL_HINT} (automatic install failed: ${reason})`);
  }
  // The package's postinst may also start a system-wide redis on 6379; ours is separate.
  log("redis-server installed (a system service on port 6379 may also have been started by the package)");
  const installed = findRedisServer();
  if (!installed) throw new Error(`${INSTALL_HINT} (apt-get reported success but no binary was found)`);
  return installed;
}

export interface StartRedisOptions {
  port: number;
  host?: string;
  dataDir: string;
  logFile?: string;
  /** true: AOF + RDB snapshots so dev data survives restarts; false: nothing touches disk (tests). */
  persist: boolean;
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** Progress messages (e.g. while installing redis-server). */
  log?: (msg: string) => void;
  /** How long to wait for the first PONG. */
  readyTimeoutMs?: number;
}

export interface RunningRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would end it. */
  kill(): Promise<void>;
  pid(): number | undefined;
}

/** One PING over a fresh socket; true only for +PONG (a LOADING error means not ready yet). */
async function pingOnce(host: string, port: number): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    let buffered = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      if (buffered.includes("\r\n")) done(buffered.startsWith("+PONG"));
    });
  });
}

export async function startRedis(opts: StartRedisOptions): Promise<RunningRedis> {
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log ?? (() => {});
  await assertPortFree(host, opts.port, "REDIS_PORT");
  const binary = await ensureRedisServer(log);
  mkdirSync(opts.dataDir, { recursive: true });

  const persistence = opts.persist
    ? // AOF every second loses at most a second of dev data; RDB snapshots make restarts fast.
      ["--appendonly", "yes", "--appendfsync", "everysec", "--save", "3600 1 300 100 60 10000"]
    : ["--save", "", "--appendonly", "no"];
  const args = [
    "--port",
    String(opts.port),
    "--bind",
    host,
    "--dir",
    opts.dataDir,
    "--daemonize",
    "no",
    "--protected-mode",
    "yes",
    ...persistence,
  ];

  const proc = new ManagedProcess({
    name: "redis",
    command: binary,
    args,
    logFile: opts.logFile,
    onUnexpectedExit: opts.onUnexpectedExit,
  }).start();

  const exitWatch = new AbortController();
  const exited = proc.waitForExit().then(({ code, signal }) => {
    exitWatch.abort();
    return { code, signal };
  });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);

  const ready = (async () => {
    await waitForPort(host, opts.port, {
      timeoutMs: opts.readyTimeoutMs ?? 20_000,
      signal: exitWatch.signal,
    });
    // The port opens before an AOF/RDB load finishes; only PONG means commands will work.
    for (;;) {
      exitWatch.signal.throwIfAborted();
      if (await pingOnce(host, opts.port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server on ${host}:${opts.port} never answered PING`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  try {
    await Promise.race([
      ready,
      exited.then(({ code, signal }) => {
        throw new Error(`redis-server exited during startup (${signal ?? `exit code ${code}`})`);
      }),
    ]);
  } catch (err) {
    // Keep the unobserved branch from surfacing as an unhandled rejection.
    ready.catch(() => {});
    await proc.stop();
    const reason = err instanceof Error ? err.message : String(err);
    const tail = proc.tail();
    throw new Error(`Could not start redis-server: ${reason}${tail ? `\nLast output:\n${tail}` : ""}`);
  }

  return {
    url: `redis://${host.includes(":") ? `[${host}]` : host}:${opts.port}`,
    port: opts.port,
    stop: () => proc.stop(),
    kill: () => proc.kill(),
    pid: () => (proc.running ? proc.pid : undefined),
  };
}
