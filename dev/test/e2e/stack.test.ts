import { createInkwellClient } from "@inkwell/edge/client";
import { readinessSchema } from "@inkwell/shared";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForHttp } from "../../src/lib/ports.ts";
import { startTestStack } from "../../src/testing/test-stack.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

/** Polls readiness until the node's first heartbeat has landed (it beats as soon as it starts). */
async function waitForReady(edgeUrl: string): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${edgeUrl}/health/ready`);
    const body: unknown = await res.json();
    const parsed = readinessSchema.safeParse(body);
    if ((parsed.success && parsed.data.status === "ok") || Date.now() > deadline)
      return { status: res.status, body };
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the whole local stack", () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge", "node"], "e2e");
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("is ready through the real Worker: database, cache, queue and a heartbeating node", async () => {
    const { status, body } = await waitForReady(stack.edgeUrl);
    const ready = readinessSchema.parse(body);
    expect(ready.checks.database.status).toBe("ok");
    expect(ready.checks.cache.status).toBe("ok");
    expect(ready.checks.queue.status).toBe("ok");
    expect(ready.checks.nodes).toMatchObject({ status: "ok", healthy: 1 });
    expect(ready.status).toBe("ok");
    expect(status).toBe(200);
  });

  it("serves a valid OpenAPI 3.1 document that lists the contract's routes, and the docs page", async () => {
    const doc = await fetch(`${stack.edgeUrl}/openapi.json`);
    expect(doc.status).toBe(200);
    const json = (await doc.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    const result = await new Validator().validate(json);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    const operations = Object.entries(json.paths).flatMap(([p, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${p}`),
    );
    for (const operation of [
      "GET /health",
      "GET /health/ready",
      "POST /v1/auth/register",
      "POST /v1/auth/login",
      "POST /v1/auth/refresh",
      "GET /v1/me",
      "POST /v1/api-keys",
      "POST /v1/entries",
      "GET /v1/entries",
      "GET /v1/entries/{id}",
      "PATCH /v1/entries/{id}",
      "DELETE /v1/entries/{id}",
      "PUT /v1/entries/{id}/favorite",
      "GET /v1/topics",
      "POST /v1/topics",
      "GET /v1/topics/{id}/entries",
      "GET /v1/jobs/{id}",
      "GET /v1/search",
    ]) {
      expect(operations).toContain(operation);
    }
    const docs = await fetch(`${stack.edgeUrl}/docs`);
    expect(docs.headers.get("Content-Type")).toContain("text/html");
  });

  it("runs the acceptance flow with the typed client: register → write → list → read → edit → search → delete", async () => {
    const anonymous = createInkwellClient(stack.edgeUrl);
    const registered = await anonymous.v1.auth.register.$post({
      json: { email: `e2e-${crypto.randomUUID()}@example.test`, password: "correct horse battery" },
    });
    expect(registered.status).toBe(201);
    if (registered.status !== 201) return;
    const client = createInkwellClient(stack.edgeUrl, { token: (await registered.json()).accessToken });

    const created = await client.v1.entries.$post({
      json: { title: "Harbour walk", content: "Walked along the harbour at dusk; the gulls were loud." },
    });
    expect(created.status).toBe(201);
    if (created.status !== 201) return;
    const entry = await created.json();
    expect(entry.analysis.status).toBe("pending");

    const list = await client.v1.entries.$get({ query: {} });
    expect(list.status).toBe(200);
    if (list.status !== 200) return;
    expect((await list.json()).items.map((e) => e.id)).toEqual([entry.id]);

    expect((await client.v1.entries[":id"].$get({ param: { id: entry.id } })).status).toBe(200);
    const patched = await client.v1.entries[":id"].$patch({
      param: { id: entry.id },
      json: { content: "Walked along the harbour at dawn; the gulls were quiet." },
    });
    expect(patched.status).toBe(200);

    const found = await client.v1.search.$get({ query: { q: "gulls", mode: "keyword" } });
    expect(found.status).toBe(200);
    if (found.status !== 200) return;
    expect((await found.json()).items.map((i) => i.entry.id)).toEqual([entry.id]);

    expect((await client.v1.entries[":id"].$delete({ param: { id: entry.id } })).status).toBe(204);
    expect((await client.v1.entries[":id"].$get({ param: { id: entry.id } })).status).toBe(404);
  });

  it("runs a node that reports this machine's hardware on its private listener only", async () => {
    // The node sheds load (503) while it is busy warming up its models; wait until it answers.
    await waitForHttp(`${stack.nodeAdminUrl}/info`, { timeoutMs: 60_000 });
    const res = await fetch(`${stack.nodeAdminUrl}/info`);
    expect(res.status).toBe(200);
    const info = (await res.json()) as { hardware: { cpu: { cores: number }; cuda: { available: boolean } } };
    expect(info.hardware.cpu.cores).toBeGreaterThan(0);
    expect((await fetch(`${stack.nodeAdminUrl}/metrics`)).status).toBe(200);
    // The public URL, which QStash and the edge call, tells nobody what runs there.
    for (const p of ["/info", "/metrics"]) expect((await fetch(`${stack.nodeUrl}${p}`)).status, p).toBe(404);
  });

  it("leaves no process behind once stopped", async () => {
    const edgeUrl = stack.edgeUrl;
    await stack.stop();
    await expect(fetch(`${edgeUrl}/health`)).rejects.toThrow();
    await expect(fetch(`${stack.nodeUrl}/health`)).rejects.toThrow();
    await expect(fetch(`${stack.chromaUrl}/api/v2/heartbeat`)).rejects.toThrow();
  });
});
