import { deriveNodeToken, EDGE_SIGNATURE_HEADER, verifyEdgeSignature } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { nodes } from "../../src/db/schema/index.ts";
import { CircuitBreaker, embedTexts } from "../../src/lib/node-client.ts";
import { registerAdmin, testConfig, testDb } from "../harness.ts";
import { beat, heartbeat, registerNode, removeTestNodes } from "./helpers.ts";

afterAll(removeTestNodes);

/** The signing check a node makes, using the token the operator was given at registration. */
async function nodeAccepts(request: Request, tokens: Map<string, string>): Promise<boolean> {
  const url = new URL(request.url);
  const token = tokens.get(url.origin);
  if (!token) return false;
  const check = await verifyEdgeSignature({
    nodeToken: token,
    header: request.headers.get(EDGE_SIGNATURE_HEADER) ?? "",
    method: request.method,
    path: url.pathname,
    body: await request.clone().text(),
  });
  return check.ok;
}

describe("circuit breaker", () => {
  it("opens after consecutive failures, lets one trial through after the cool-down, and closes on success", () => {
    let now = 0;
    const breaker = new CircuitBreaker(3, 1_000, () => now);
    breaker.failure("n");
    breaker.failure("n");
    expect(breaker.allow("n")).toBe(true);
    breaker.failure("n");
    expect(breaker.isOpen("n")).toBe(true);
    expect(breaker.allow("n")).toBe(false);
    now = 1_001;
    expect(breaker.allow("n")).toBe(true);
    expect(breaker.allow("n")).toBe(false);
    breaker.failure("n");
    expect(breaker.isOpen("n")).toBe(true);
    now = 2_100;
    expect(breaker.allow("n")).toBe(true);
    breaker.success("n");
    expect(breaker.isOpen("n")).toBe(false);
    expect(breaker.allow("n")).toBe(true);
  });
});

describe("edge → node client", () => {
  it("signs with the token issued at registration, fails over to another node, and opens the broken one's circuit", async () => {
    const admin = await registerAdmin();
    const tag = crypto.randomUUID().slice(0, 8);
    const good = await registerNode(admin, `good-${tag}`, `http://good-${tag}.test`);
    const bad = await registerNode(admin, `bad-${tag}`, `http://bad-${tag}.test`);
    // Only these two serve the LLM task, so the client can only pick between them.
    const models = [
      { id: "test-llm", task: "llm" as const },
      { id: "test-embed-3d", task: "embedding" as const },
    ];
    await beat(good.token, heartbeat({ models, load: { queueDepth: 1, running: 0, capacity: 64 } }));
    await beat(bad.token, heartbeat({ models, load: { queueDepth: 0, running: 0, capacity: 1_000_000 } }));
    const tokens = new Map([
      [`http://good-${tag}.test`, good.token],
      [`http://bad-${tag}.test`, bad.token],
    ]);
    const seen: string[] = [];
    const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      seen.push(new URL(request.url).host);
      if (!(await nodeAccepts(request, tokens))) return new Response("unsigned", { status: 401 });
      if (request.url.includes("bad-")) return new Response("boom", { status: 503 });
      return Response.json({ model: "test-embed-3d", dims: 3, embeddings: [[0.6, 0.8, 0]] });
    };
    const breaker = new CircuitBreaker(2, 60_000);
    const deps = { db: testDb(), config: testConfig(), fetch: fakeFetch as typeof fetch, breaker };
    const { callNode } = await import("../../src/lib/node-client.ts");
    const { embedResponseSchema } = await import("@inkwell/shared");
    const call = () =>
      callNode(deps, {
        path: "/v1/embed",
        body: { texts: ["hi"] },
        schema: embedResponseSchema,
        tasks: ["llm"],
      });

    for (let i = 0; i < 3; i++) expect((await call()).nodeId).toBe(good.id);
    // The bad node reports the least load, so it was tried first until its circuit opened.
    expect(seen.filter((h) => h.startsWith("bad-")).length).toBe(2);
    expect(breaker.isOpen(bad.id)).toBe(true);

    // The edge re-derives the same token from NODE_TOKEN_SECRET and the stored salt.
    const [row] = await testDb().select().from(nodes).where(eq(nodes.id, good.id));
    expect(await deriveNodeToken(testConfig().NODE_TOKEN_SECRET, good.id, row?.tokenSalt ?? "")).toBe(
      good.token,
    );
  });

  it("answers NO_INFERENCE_NODE when no node can take the call, and times out a silent node", async () => {
    const deps = { db: testDb(), config: testConfig(), breaker: new CircuitBreaker() };
    const unreachable = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    await expect(
      embedTexts({ ...deps, fetch: unreachable }, ["hi"]).catch((e: { code?: string }) => e.code),
    ).resolves.toMatch(/NO_INFERENCE_NODE|UPSTREAM_/);
    const admin = await registerAdmin();
    const tag = crypto.randomUUID().slice(0, 8);
    const slow = await registerNode(admin, `slow-${tag}`, `http://slow-${tag}.test`);
    await beat(slow.token, heartbeat({ models: [{ id: "test-voice", task: "llm" }] }));
    const { callNode } = await import("../../src/lib/node-client.ts");
    const { embedResponseSchema } = await import("@inkwell/shared");
    const hang = ((_: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      )) as typeof fetch;
    const error = await callNode(
      { ...deps, fetch: hang },
      {
        path: "/v1/embed",
        body: { texts: ["hi"] },
        schema: embedResponseSchema,
        tasks: ["llm"],
        timeoutMs: 100,
        maxNodes: 1,
      },
    ).catch((e: { code?: string }) => e);
    expect(error).toMatchObject({ code: "UPSTREAM_TIMEOUT" });
  });
});
