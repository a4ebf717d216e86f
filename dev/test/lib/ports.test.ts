import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/lib/paths.ts";
import { freePort, releasePorts, reservePort } from "../../src/lib/ports.ts";

const children: ChildProcess[] = [];
const dirs: string[] = [];

function reservationDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "inkwell-ports-test-"));
  dirs.push(dir);
  return dir;
}

/** A range of `size` ports below the kernel's ephemeral range, different for each call. */
let nextBase = 20_000 + (process.pid % 100) * 100;
function range(size: number): [number, number] {
  const low = nextBase;
  nextBase += size;
  return [low, low + size - 1];
}

/** Starts a process that reserves `count` ports and holds them; resolves with its pid and ports. */
async function reserveElsewhere(
  dir: string,
  [low, high]: [number, number],
  count: number,
): Promise<{ child: ChildProcess; pid: number; ports: number[] }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(import.meta.dirname, "reserve-ports.ts"),
      dir,
      String(low),
      String(high),
      String(count),
    ],
    { cwd: repoRoot, stdio: ["pipe", "pipe", "inherit"] },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(([code]) => {
      throw new Error(`the reserving process exited with ${code} before reserving`);
    }),
  ])) as [string];
  const { pid, ports } = JSON.parse(line) as { pid: number; ports: number[] };
  return { child, pid, ports };
}

const owner = (dir: string, port: number) => Number(readFileSync(path.join(dir, String(port)), "utf8"));

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("freePort", () => {
  it("never gives the same port to concurrent calls", async () => {
    const dir = reservationDir();
    const within = range(30);
    const ports = await Promise.all(
      Array.from({ length: 20 }, () => freePort("127.0.0.1", { dir, range: within })),
    );
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(within[0]);
      expect(port).toBeLessThanOrEqual(within[1]);
      expect(owner(dir, port)).toBe(process.pid);
    }
    releasePorts(ports, dir);
    for (const port of ports) expect(existsSync(path.join(dir, String(port)))).toBe(false);
  });

  it("never gives the same port to processes reserving at the same time, and frees them when they exit", async () => {
    const dir = reservationDir();
    const within = range(40);
    const holders = await Promise.all(Array.from({ length: 4 }, () => reserveElsewhere(dir, within, 8)));
    const all = holders.flatMap((h) => h.ports);
    expect(all).toHaveLength(32);
    expect(new Set(all).size).toBe(32);
    for (const { pid, ports } of holders) {
      for (const port of ports) expect(owner(dir, port)).toBe(pid);
    }
    // A port held by a live process is not taken over, whoever asks.
    const [held = 0] = holders[0]?.ports ?? [];
    expect(reservePort(held, dir)).toBe(false);

    for (const { child } of holders) {
      child.stdin?.end();
      await once(child, "exit");
    }
    for (const port of all) expect(existsSync(path.join(dir, String(port)))).toBe(false);
  });

  it("takes over the reservations of a process that died without giving them back", async () => {
    const dir = reservationDir();
    const within = range(10);
    const { child, pid, ports } = await reserveElsewhere(dir, within, 3);
    expect(ports.map((port) => reservePort(port, dir))).toEqual([false, false, false]);

    child.kill("SIGKILL");
    await once(child, "exit");
    // Killed outright, it left its files behind.
    for (const port of ports) expect(owner(dir, port)).toBe(pid);

    expect(ports.map((port) => reservePort(port, dir))).toEqual([true, true, true]);
    for (const port of ports) expect(owner(dir, port)).toBe(process.pid);
    releasePorts(ports, dir);
  });

  it("skips a port something already listens on", async () => {
    const server = net.createServer();
    server.listen({ host: "127.0.0.1", port: 0 });
    await once(server, "listening");
    const busy = (server.address() as net.AddressInfo).port;
    try {
      await expect(freePort("127.0.0.1", { dir: reservationDir(), range: [busy, busy] })).rejects.toThrow(
        `No free port left in ${busy}-${busy}`,
      );
    } finally {
      server.close();
    }
  });
});
