import net from "node:net";

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

/** An ephemeral port that was free a moment ago (tests and throwaway stacks). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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

/** A free port for every service of the local stack (tests and benchmarks run beside `npm run dev`). */
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
