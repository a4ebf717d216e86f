import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Redis as IORedis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/lib/ports.ts";
import { ensureRedisServer, startRedis } from "../../src/redis/redis-server.ts";

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "inkwell-redis-server-test-"));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("ensureRedisServer", () => {
  it("returns the path of an existing, executable redis-server", async () => {
    const messages: string[] = [];
    const binary = await ensureRedisServer((m) => messages.push(m));
    expect(path.basename(binary)).toBe("redis-server");
    expect(() => accessSync(binary, constants.X_OK)).not.toThrow();
    // Found without installing anything.
    expect(messages).toEqual([]);
  });
});

describe("startRedis", () => {
  it("fails with a message naming REDIS_PORT when the port is taken", async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen({ host: "127.0.0.1", port }, resolve));
    try {
      await expect(startRedis({ port, dataDir: tempDir(), persist: false })).rejects.toThrow(/REDIS_PORT/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("starts a throwaway server that answers and stops", async () => {
    const port = await freePort();
    const redis = await startRedis({ port, dataDir: tempDir(), persist: false });
    expect(redis.url).toBe(`redis://127.0.0.1:${port}`);
    const client = new IORedis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    expect(await client.ping()).toBe("PONG");
    expect(await client.config("GET", "save")).toEqual(["save", ""]);
    expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "no"]);
    client.disconnect();
    await redis.stop();
    await expect(
      startRedis({ port, dataDir: tempDir(), persist: false }).then((r) => r.stop()),
    ).resolves.toBe(undefined);
  });

  it("persist: true keeps data across a restart", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const first = await startRedis({ port, dataDir, persist: true });
    const writer = new IORedis(first.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await writer.connect();
    await writer.set("survives", "restart");
    writer.disconnect();
    await first.stop();

    const second = await startRedis({ port, dataDir, persist: true });
    const reader = new IORedis(second.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await reader.connect();
    expect(await reader.get("survives")).toBe("restart");
    reader.disconnect();
    await second.stop();
  });

  it("reports the last lines redis-server printed when it cannot start", async () => {
    // A corrupt RDB file is loaded at startup even without persistence, and makes redis-server exit.
    const dataDir = tempDir();
    writeFileSync(path.join(dataDir, "dump.rdb"), "definitely not an RDB file");
    await expect(startRedis({ port: await freePort(), dataDir, persist: false })).rejects.toThrow(
      /redis-server exited during startup[\s\S]*Last output:[\s\S]*(signature|RDB|DB)/i,
    );
  });
});
