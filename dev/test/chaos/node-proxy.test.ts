import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NodeLink, startNodeLink } from "../../src/chaos/node-proxy.ts";

/** Stands in for a node: echoes what it was sent as JSON; /stream answers in two chunks. */
async function startUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("event: token\ndata: one\n\n");
        res.end("event: done\ndata: two\n\n");
        return;
      }
      res.writeHead(201, { "content-type": "application/json", "x-node": "yes" });
      res.end(JSON.stringify({ method: req.method, url: req.url, body, host: req.headers.host }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("the link in front of a node", () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let link: NodeLink;

  beforeAll(async () => {
    upstream = await startUpstream();
    link = await startNodeLink(() => upstream.url);
  });

  afterAll(async () => {
    await link?.close();
    await upstream?.close();
  });

  it("passes requests and answers through unchanged, streams included", async () => {
    link.setMode("pass");
    const res = await fetch(`${link.url}/v1/analyze?x=1`, { method: "POST", body: "hello" });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-node")).toBe("yes");
    expect(await res.json()).toEqual({
      method: "POST",
      url: "/v1/analyze?x=1",
      body: "hello",
      host: new URL(upstream.url).host,
    });
    const stream = await fetch(`${link.url}/stream`);
    expect(await stream.text()).toBe("event: token\ndata: one\n\nevent: done\ndata: two\n\n");
  });

  it("answers garbage of every kind in turn while garbled, and passes again once healed", async () => {
    link.setMode("garbage");
    const before = link.answered.garbage;
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        const res = await fetch(`${link.url}/v1/analyze`, { method: "POST", body: "hello" });
        const text = await res.text();
        seen.push(`${res.status} ${text.slice(0, 12)}`);
        // Never the node's own answer, and never a well-formed one.
        expect(text).not.toContain('"method"');
        if (res.status === 200 && res.headers.get("content-type") === "application/json") {
          const parsed = (() => {
            try {
              return JSON.parse(text) as unknown;
            } catch {
              return undefined;
            }
          })();
          if (parsed !== undefined) expect(parsed).not.toHaveProperty("body");
        }
      } catch {
        seen.push("dropped");
      }
    }
    expect(link.answered.garbage - before).toBe(5);
    expect(seen).toContain("dropped");
    expect(seen.some((s) => s.startsWith("502"))).toBe(true);
    link.setMode("pass");
    const res = await fetch(`${link.url}/after`);
    expect(res.status).toBe(201);
    await res.body?.cancel();
  });

  it("delays a request and its answer when slow", async () => {
    link.setMode("slow", { delayMs: 150 });
    const started = performance.now();
    const res = await fetch(`${link.url}/slow`);
    expect(res.status).toBe(201);
    await res.body?.cancel();
    // Both ways: at least twice the delay.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(link.answered.slow).toBeGreaterThanOrEqual(1);
    link.setMode("pass");
  });
});
