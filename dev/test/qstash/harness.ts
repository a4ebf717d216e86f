import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { type QStashServer, type QStashServerOptions, startQStashServer } from "../../src/qstash/server.ts";
import { eventually as poll } from "../../src/testing/eventually.ts";

export const TOKEN = "test-token-0123456789abcdef";
export const CURRENT_KEY = "sig_current_test_key_0123456789";
export const NEXT_KEY = "sig_next_test_key_9876543210abc";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  receivedAt: number;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A destination that records what it is sent and lets a test await the n-th request. */
export interface Recorder {
  url: string;
  requests: ReceivedRequest[];
  /** Resolves with the request at `index` (0-based) once it has arrived. */
  nth(index: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

export async function startRecorder(
  reply: (index: number) => Reply = () => ({ status: 200 }),
): Promise<Recorder> {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<{ index: number; resolve: (r: ReceivedRequest) => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const index = requests.length;
      const received: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
      };
      requests.push(received);
      const answer = reply(index);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? "");
      for (const waiter of waiters.filter((w) => w.index === index)) waiter.resolve(received);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    nth(index) {
      const existing = requests[index];
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => waiters.push({ index, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function tempDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "qstash-test-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function startStandIn(
  overrides: Partial<QStashServerOptions> & { dataDir: string },
): Promise<QStashServer> {
  return await startQStashServer({
    port: 0,
    token: TOKEN,
    currentSigningKey: CURRENT_KEY,
    nextSigningKey: NEXT_KEY,
    logger: pino({ level: "silent" }),
    retryBaseDelayMs: 10,
    ...overrides,
  });
}

export function header(request: ReceivedRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** A request a {@link Gate} is holding open. */
export interface HeldRequest extends ReceivedRequest {
  /** Answers the request (200 unless told otherwise), ending it. */
  release(status?: number): void;
}

/**
 * A destination that holds every request open until the test releases it, counting how many are open at
 * once: the way to observe a parallelism limit without timing guesses.
 */
export interface Gate {
  url: string;
  /** Every request that has arrived, in arrival order (released ones included). */
  arrived: HeldRequest[];
  /** Requests arrived and not yet released. */
  open(): number;
  /** The most requests ever open at the same time. */
  maxOpen(): number;
  /** Resolves with the request at `index` (0-based) once it has arrived. */
  nth(index: number): Promise<HeldRequest>;
  close(): Promise<void>;
}

export async function startGate(): Promise<Gate> {
  const arrived: HeldRequest[] = [];
  const waiters: Array<{ index: number; resolve: (r: HeldRequest) => void }> = [];
  let open = 0;
  let maxOpen = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        open -= 1;
      };
      // A request the sender gave up on (e.g. a server shutting down) no longer counts as open.
      res.on("close", finish);
      const held: HeldRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
        release(status = 200) {
          if (done) return;
          finish();
          res.writeHead(status);
          res.end("released");
        },
      };
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      const index = arrived.length;
      arrived.push(held);
      for (const waiter of waiters.filter((w) => w.index === index)) waiter.resolve(held);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrived,
    open: () => open,
    maxOpen: () => maxOpen,
    nth(index) {
      const existing = arrived[index];
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => waiters.push({ index, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `read` until `check` holds for its value (for state that changes inside the server with no event to await). */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  let last: T | undefined;
  const held = await poll(
    async () => {
      last = await read();
      return check(last) ? { value: last } : undefined;
    },
    {
      timeoutMs,
      intervalMs: 10,
      what: () => `a value that holds within ${timeoutMs} ms: ${JSON.stringify(last)}`,
    },
  );
  return held.value;
}
