import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { nodeHeartbeatSchema } from "@inkwell/shared";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeEdge } from "./helpers/fake-edge.ts";
import { randomSigningKey } from "./helpers/qstash-signer.ts";

const nodeDir = new URL("..", import.meta.url).pathname;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

/** Runs the real entry point the way the Dockerfile does, with only the given environment. */
function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: nodeDir,
    // A free port for /info and /metrics unless a test names one: test files run side by side.
    env: { PATH: process.env.PATH ?? "", NODE_ADMIN_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, "exit").then(([code]) => ({ code: code as number | null, stderr }));
  // Resolves with the URLs from Fastify's "Server listening at" log lines, i.e. once both ports are bound:
  // the public listener's and the private one's (/info, /metrics), whose lines say listener "admin".
  const listening = () =>
    new Promise<{ url: string; adminUrl: string }>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      const found: { url?: string; adminUrl?: string } = {};
      lines.on("line", (line) => {
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (!match?.[1]) return;
        found[line.includes('"listener":"admin"') ? "adminUrl" : "url"] = match[1];
        if (found.url && found.adminUrl) resolve({ url: found.url, adminUrl: found.adminUrl });
      });
      void exited.then(({ code }) =>
        reject(new Error(`server exited with ${code} before listening: ${stderr}`)),
      );
    });
  return { child, exited, listening };
}

const keys = () => ({
  QSTASH_CURRENT_SIGNING_KEY: randomSigningKey(),
  QSTASH_NEXT_SIGNING_KEY: randomSigningKey(),
});

describe("server.ts", () => {
  it("refuses to start with a bad configuration, naming the variables", async () => {
    const { exited } = startServer({ QSTASH_CURRENT_SIGNING_KEY: "weak", NODE_PORT: "0" });
    const { code, stderr } = await exited;
    expect(code).toBe(1);
    expect(stderr).toContain("Invalid inference node configuration");
    expect(stderr).toContain("QSTASH_CURRENT_SIGNING_KEY: is too weak");
    expect(stderr).toContain("QSTASH_NEXT_SIGNING_KEY: is required");
    expect(stderr).not.toContain("weak\n");
  });

  it("explains a port that is already taken in one line", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const { exited } = startServer({ ...keys(), NODE_PORT: String(port), LOG_LEVEL: "error" });
      const { code, stderr } = await exited;
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `Port ${port} on 127.0.0.1 is already in use; stop the other process or set NODE_PORT.`,
      );
      const admin = await startServer({ ...keys(), NODE_PORT: "0", NODE_ADMIN_PORT: String(port) }).exited;
      expect(admin.code).toBe(1);
      expect(admin.stderr.trim()).toBe(
        `Port ${port} on 127.0.0.1 is already in use; stop the other process or set NODE_ADMIN_PORT.`,
      );
    } finally {
      blocker.close();
    }
  });

  it("serves, heartbeats, and shuts down cleanly on SIGTERM", async () => {
    const edge = await startFakeEdge();
    try {
      const token = randomSigningKey();
      const { child, exited, listening } = startServer({
        ...keys(),
        NODE_PORT: "0",
        EDGE_URL: edge.url,
        NODE_TOKEN: token,
        NODE_PUBLIC_URL: "http://node.test:8788",
        HEARTBEAT_INTERVAL_MS: "60000",
      });
      const { url: base, adminUrl } = await listening();
      await edge.waitFor(1);
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      // /info and /metrics only on the private listener; the public port answers 404 for them.
      for (const p of ["/info", "/metrics"]) {
        expect((await fetch(`${base}${p}`)).status, p).toBe(404);
        expect((await fetch(`${adminUrl}${p}`)).status, p).toBe(200);
      }

      child.kill("SIGTERM");
      const { code } = await exited;
      expect(code).toBe(0);

      // The first beat goes out right after listen; the last one, on shutdown, says the node is draining.
      const beats = edge.received.map((beat) => nodeHeartbeatSchema.parse(beat.body));
      expect(beats).toHaveLength(2);
      expect(beats[0]?.draining).toBe(false);
      expect(beats.at(-1)?.draining).toBe(true);
      expect(edge.received.every((beat) => beat.headers.authorization === `Bearer ${token}`)).toBe(true);
    } finally {
      await edge.close();
    }
  });

  it("exits at once on a second signal while a graceful shutdown is stuck", async () => {
    // The second request is the draining beat on shutdown; the edge never answers it.
    const edge = await startFakeEdge([
      { status: 200, body: { nodeId: "node_x", status: "healthy", nextHeartbeatInSeconds: 60 } },
      { status: 200, hang: true },
    ]);
    try {
      const { child, exited, listening } = startServer({
        ...keys(),
        NODE_PORT: "0",
        EDGE_URL: edge.url,
        NODE_TOKEN: randomSigningKey(),
      });
      await listening();
      await edge.waitFor(1);
      child.kill("SIGTERM");
      await edge.waitFor(2);
      child.kill("SIGTERM");
      const { code } = await exited;
      expect(code).toBe(1);
    } finally {
      await edge.close();
    }
  });
});
