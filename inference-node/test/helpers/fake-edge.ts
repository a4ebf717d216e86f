import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedBeat {
  method: string | undefined;
  path: string | undefined;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeEdgeReply {
  status: number;
  body?: unknown;
  /** Never answer, like an edge that is stuck. */
  hang?: boolean;
}

/** A real HTTP server standing in for the edge: records each request and answers from a script. */
export async function startFakeEdge(script: FakeEdgeReply[] = []) {
  const received: ReceivedBeat[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const fallback: FakeEdgeReply = {
    status: 200,
    body: { nodeId: "node_fake", status: "healthy", nextHeartbeatInSeconds: 5 },
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      received.push({
        method: request.method,
        path: request.url,
        headers: request.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      for (const waiter of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const reply = script.shift() ?? fallback;
      if (reply.hang) return;
      response.writeHead(reply.status, { "content-type": "application/json" });
      response.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Resolves once `count` requests in total have arrived. */
    waitFor: (count: number) =>
      new Promise<void>((resolve) => {
        if (received.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
