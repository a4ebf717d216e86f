import { readinessSchema } from "@inkwell/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("serves the OpenAPI document and the docs page", async () => {
    const doc = await fetch(`${stack.edgeUrl}/openapi.json`);
    expect(doc.status).toBe(200);
    const json = (await doc.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(json.openapi).toBe("3.1.0");
    expect(Object.keys(json.paths)).toContain("/health/ready");
    const docs = await fetch(`${stack.edgeUrl}/docs`);
    expect(docs.headers.get("Content-Type")).toContain("text/html");
  });

  it("runs a node that reports this machine's hardware", async () => {
    const res = await fetch(`${stack.nodeUrl}/info`);
    expect(res.status).toBe(200);
    const info = (await res.json()) as { hardware: { cpu: { cores: number }; cuda: { available: boolean } } };
    expect(info.hardware.cpu.cores).toBeGreaterThan(0);
  });

  it("leaves no process behind once stopped", async () => {
    const edgeUrl = stack.edgeUrl;
    await stack.stop();
    await expect(fetch(`${edgeUrl}/health`)).rejects.toThrow();
    await expect(fetch(`${stack.nodeUrl}/health`)).rejects.toThrow();
    await expect(fetch(`${stack.chromaUrl}/api/v2/heartbeat`)).rejects.toThrow();
  });
});
