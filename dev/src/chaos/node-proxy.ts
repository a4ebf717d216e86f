import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * How the link to a node behaves: `pass` forwards as is; `garbage` answers every request itself with
 * something no node would send (malformed or cut-off JSON, an HTML error page, a dropped connection), in
 * turn; `slow` forwards after a delay each way, as a congested network would.
 */
export type LinkMode = "pass" | "garbage" | "slow";

export interface NodeLink {
  /** The address the node is registered at and signs for; requests here reach the node. */
  readonly url: string;
  setMode(mode: LinkMode, options?: { delayMs?: number }): void;
  /** Requests answered so far in each mode (the garbage and slow faults wait on these). */
  readonly answered: Record<LinkMode, number>;
  close(): Promise<void>;
}

const GARBAGE: ((res: http.ServerResponse) => void)[] = [
  (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"sentiment": {"label": "posi');
  },
  (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: "yes", vectors: "none", result: [null, 7, { "": -1 }] }));
  },
  (res) => {
    res.writeHead(502, { "content-type": "text/html" });
    res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
  },
  (res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(Buffer.from([0xff, 0xfe, 0x00, 0x9c, 0x22, 0x7b, 0x0a]));
  },
  (res) => {
    // Headers promise a body the connection never delivers.
    res.writeHead(200, { "content-type": "application/json", "content-length": "4096" });
    res.write('{"embeddings": [[0.1, 0.2');
    res.socket?.destroy();
  },
];

/**
 * A small HTTP proxy in front of a node's public port, so the campaign can garble or slow the node's
 * answers without the node knowing: the node is registered at this address and forwards nothing itself.
 */
export async function startNodeLink(target: () => string): Promise<NodeLink> {
  let mode: LinkMode = "pass";
  let delayMs = 0;
  let turn = 0;
  const answered: Record<LinkMode, number> = { pass: 0, garbage: 0, slow: 0 };
  const sockets = new Set<import("node:net").Socket>();

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, delay: number) => {
    const upstream = new URL(req.url ?? "/", target());
    const out = http.request(
      upstream,
      { method: req.method, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const reply = () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (delay > 0) setTimeout(reply, delay);
        else reply();
      },
    );
    out.on("error", () => {
      // The node is down or restarting: the caller sees the connection drop, as it would without us.
      res.socket?.destroy();
    });
    res.on("close", () => out.destroy());
    req.pipe(out);
  };

  const server = http.createServer((req, res) => {
    const now = mode;
    answered[now]++;
    if (now === "garbage") {
      req.resume();
      const answer = GARBAGE[turn++ % GARBAGE.length] as (res: http.ServerResponse) => void;
      answer(res);
      return;
    }
    if (now === "slow") {
      const delay = delayMs;
      // The request's way there is slow as well as the answer's way back.
      setTimeout(() => forward(req, res, delay), delay);
      return;
    }
    forward(req, res, 0);
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    setMode(next, options) {
      mode = next;
      delayMs = options?.delayMs ?? 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
