import { randomInt } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** Resolves when nothing listens on host:port; rejects with a message naming the setting to change. */
export async function assertPortFree(host: string, port: number, settingName: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") {
        reject(
          new Error(
            `Port ${port} on ${host} is already in use. Stop whatever listens there or choose another port with ${settingName}=<port>.`,
          ),
        );
      } else {
        reject(err);
      }
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Resolves once nothing listens on the port any more: a process killed with its group lets go of its
 * port a moment after its leader has exited (wrangler's workerd), and a restart must not race it.
 */
export async function waitForPortFree(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertPortFree(host, port, "the port");
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Where picked ports are recorded, one file per port holding its owner's pid: shared by every process on
 * the machine, so that suites starting stacks side by side never choose the same port. A port that was
 * merely free when one process looked is not enough: another process looking at the same moment saw it
 * free too, and whichever service binds second fails to start.
 */
export const defaultReservationDir = path.join(os.tmpdir(), "inkwell-ports");

export interface PortChoice {
  /** Inclusive bounds to choose from; by default the largest span below or above the kernel's ephemeral range. */
  range?: readonly [number, number];
  /** The reservation folder; every process that must not collide has to use the same one. */
  dir?: string;
}

/** Lock files this process wrote and has not released, removed again when it exits. */
const heldHere = new Set<string>();
/** Ports freePort returned in this process: never handed out twice, even after they were released. */
const handedOut = new Set<string>();
let exitHookInstalled = false;

/**
 * A port nothing listens on, reserved for this process until `releasePorts` or its exit. Chosen outside the
 * kernel's ephemeral range, where ports the kernel gives to `listen(0)` and outgoing connections (workerd's
 * and miniflare's own sockets, every client) are taken from; those never record a reservation, so a port
 * picked there could be taken between being picked and being bound.
 */
export async function freePort(host = "127.0.0.1", choice: PortChoice = {}): Promise<number> {
  const dir = choice.dir ?? defaultReservationDir;
  const [low, high] = choice.range ?? defaultRange();
  const span = high - low + 1;
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65_535 || span < 1) {
    throw new Error(`Invalid port range ${low}-${high}`);
  }
  // From a random start through the whole range, so that a port is found while any is left.
  const start = randomInt(span);
  for (let i = 0; i < span; i++) {
    const port = low + ((start + i) % span);
    const key = `${dir}:${port}`;
    if (handedOut.has(key) || !reservePort(port, dir)) continue;
    let listenable = false;
    try {
      listenable = await canListen(host, port);
    } finally {
      if (!listenable) releasePorts([port], dir);
    }
    if (listenable) {
      handedOut.add(key);
      return port;
    }
  }
  throw new Error(`No free port left in ${low}-${high} (reservations in ${dir})`);
}

/**
 * Records `port` as this process's, atomically: false when a live process holds it (this one included).
 * A reservation whose owner has died is taken over.
 */
export function reservePort(port: number, dir = defaultReservationDir): boolean {
  if (mkdirSync(dir, { recursive: true }) !== undefined) {
    // Ports are the machine's, not one user's: every user's runs record theirs here (as /tmp is shared).
    try {
      chmodSync(dir, 0o1777);
    } catch {
      // Left as created: this user's runs still never collide.
    }
  }
  const file = lockFile(dir, port);
  // The pid is written before the file appears under its name, so no reader ever sees it empty.
  const draft = path.join(dir, `.${port}.${process.pid}.${randomInt(1e9)}`);
  writeFileSync(draft, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(draft, file);
        heldHere.add(file);
        installExitHook();
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      if (!removeIfStale(file)) return false;
    }
    return false;
  } finally {
    rmSync(draft, { force: true });
  }
}

/** Gives back reservations this process holds; ports it does not hold are left alone. */
export function releasePorts(ports: Iterable<number>, dir = defaultReservationDir): void {
  for (const port of ports) {
    const file = lockFile(dir, port);
    if (!heldHere.delete(file)) continue;
    if (ownerOf(file) === process.pid) rmSync(file, { force: true });
  }
}

const lockFile = (dir: string, port: number) => path.join(dir, String(port));

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes a reservation whose owner is dead; true when the lock file is gone. Only the holder of the
 * port's reclaim lock removes another process's file, and it reads the owner again under that lock, so
 * two processes reclaiming at once cannot delete the reservation the first of them has just made.
 */
function removeIfStale(file: string): boolean {
  const reclaim = `${file}.reclaim`;
  try {
    writeFileSync(reclaim, `${process.pid}\n`, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    // Held for microseconds; one left by a process that died holding it is cleared for the next try.
    try {
      if (Date.now() - statSync(reclaim).mtimeMs > 10_000) rmSync(reclaim, { force: true });
    } catch {
      // Gone already.
    }
    return false;
  }
  try {
    const owner = ownerOf(file);
    if (owner === undefined) {
      // Unreadable: gone already, or not ours to judge.
      return !existsSync(file);
    }
    if (isAlive(owner)) return false;
    rmSync(file, { force: true });
    return true;
  } finally {
    rmSync(reclaim, { force: true });
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const file of heldHere) {
      if (ownerOf(file) === process.pid) rmSync(file, { force: true });
    }
  });
}

/** Whether something may listen on host:port now (nothing else does). */
async function canListen(host: string, port: number): Promise<boolean> {
  return await new Promise<boolean>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE" || err.code === "EACCES") resolve(false);
      else reject(err);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral range, where it picks ports for `listen(0)` and outgoing connections. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low <= high) return [low, high];
  } catch {
    // Not Linux: the IANA range, which macOS uses.
  }
  return [49_152, 65_535];
}

let cachedRange: [number, number] | undefined;

/** The larger span outside the ephemeral range, above the ports well-known services use; or all of them. */
function defaultRange(): [number, number] {
  if (cachedRange) return cachedRange;
  const [ephemeralLow, ephemeralHigh] = ephemeralRange();
  const below: [number, number] = [10_000, ephemeralLow - 1];
  const above: [number, number] = [ephemeralHigh + 1, 65_535];
  const size = ([low, high]: [number, number]) => high - low + 1;
  const best = size(below) >= size(above) ? below : above;
  cachedRange = size(best) >= 1_000 ? best : [10_000, 65_535];
  return cachedRange;
}

/** Polls a TCP port until it accepts connections, the child dies, or time runs out. */
export async function waitForPort(
  host: string,
  port: number,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    options.signal?.throwIfAborted();
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Nothing answered on ${host}:${port} in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls an HTTP URL until it answers with a status accepted by `ok`. */
export async function waitForHttp(
  url: string,
  options: { timeoutMs?: number; ok?: (status: number) => boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const ok = options.ok ?? ((s: number) => s >= 200 && s < 300);
  let last = "no answer";
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (ok(res.status)) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready in time (${last})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * A free port for every service of the local stack (tests and benchmarks run beside `npm run dev`), each
 * reserved until `releasePorts(Object.values(ports))` or the process exits.
 */
export async function freeStackPorts(): Promise<{
  postgres: number;
  redis: number;
  redisRest: number;
  qstash: number;
  chroma: number;
  edge: number;
  node: number;
  nodeAdmin: number;
}> {
  return {
    postgres: await freePort(),
    redis: await freePort(),
    redisRest: await freePort(),
    qstash: await freePort(),
    chroma: await freePort(),
    edge: await freePort(),
    node: await freePort(),
    nodeAdmin: await freePort(),
  };
}
