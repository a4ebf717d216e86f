import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A mail provider's HTTP API as the edge calls it, for the tests: `POST /send` with a bearer key and a
 * JSON `{from, to, subject, text}` is kept; `GET /messages?to=` answers what was kept for an address.
 * Runs in the global setup's Node process, since a test inside workerd cannot listen.
 */
export interface ReceivedMail {
  authorization: string | null;
  from: string;
  to: string;
  subject: string;
  text: string;
}

export async function startMailReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    if (req.method === "POST" && url.pathname === "/send") {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Omit<
            ReceivedMail,
            "authorization"
          >;
          received.push({ ...body, authorization: req.headers.authorization ?? null });
          res.writeHead(200, { "Content-Type": "application/json" }).end('{"id":"accepted"}');
        } catch {
          res.writeHead(400).end();
        }
      });
      return;
    }
    if (req.method === "GET" && url.pathname === "/messages") {
      const to = url.searchParams.get("to");
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify(received.filter((mail) => mail.to === to)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
