import {
  adminNodeSchema,
  joinSecretListSchema,
  nodeEnrollReplySchema,
  poolSignalSchema,
} from "@inkwell/shared";
import { eq, inArray } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { jobs, nodes } from "../../src/db/schema/index.ts";
import { call, expectProblem, registerAdmin, registerUser, type TestUser, testDb } from "../harness.ts";
import { beat, heartbeat } from "./helpers.ts";

const enrolledIds = new Set<string>();
afterAll(async () => {
  const ids = [...enrolledIds];
  if (ids.length > 0) await testDb().delete(nodes).where(inArray(nodes.id, ids));
});

async function joinSecret(admin: TestUser, allowedHosts: string[]) {
  const res = await call("/v1/admin/join-secrets", {
    token: admin.accessToken,
    body: { name: `pool${crypto.randomUUID().slice(0, 6)}`, allowedHosts },
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  return JSON.parse(text) as { id: string; name: string; secret: string };
}

async function enroll(secret: string, name: string, url: string): Promise<Response> {
  return await call("/internal/nodes/enroll", { token: secret, body: { name, url } });
}

async function enrolled(res: Response) {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const reply = nodeEnrollReplySchema.parse(JSON.parse(text));
  enrolledIds.add(reply.nodeId);
  return reply;
}

async function nodesOf(admin: TestUser) {
  const res = await call("/v1/admin/nodes?limit=100", { token: admin.accessToken });
  expect(res.status).toBe(200);
  return z.object({ items: z.array(adminNodeSchema) }).parse(await res.json()).items;
}

describe("enrollment with one join secret", () => {
  it("three replicas from one env file become three healthy nodes, each with its own identity and token", async () => {
    const admin = await registerAdmin();
    const js = await joinSecret(admin, ["127.0.0.1:*"]);
    expect(js.secret).toMatch(/^njs_[A-Za-z0-9_-]{43}$/);
    // What differs between replicas is what the orchestrator gives each one: its host name and port.
    const replicas = await Promise.all(
      [1, 2, 3].map(
        async (i) => await enrolled(await enroll(js.secret, `replica-${i}`, `http://127.0.0.1:${9100 + i}`)),
      ),
    );
    expect(new Set(replicas.map((r) => r.nodeId)).size).toBe(3);
    expect(new Set(replicas.map((r) => r.token)).size).toBe(3);
    expect(replicas.map((r) => r.name).sort()).toEqual([1, 2, 3].map((i) => `${js.name}-replica-${i}`));
    for (const replica of replicas) {
      const res = await beat(replica.token);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ nodeId: replica.nodeId, status: "healthy" });
    }
    const listed = (await nodesOf(admin)).filter((n) => replicas.some((r) => r.nodeId === n.id));
    expect(listed.map((n) => n.status)).toEqual(["healthy", "healthy", "healthy"]);
    expect(listed.map((n) => n.url).sort()).toEqual([9101, 9102, 9103].map((p) => `http://127.0.0.1:${p}`));
    // The join secret is never stored, only its hash; the list shows how many nodes it enrolled.
    const secrets = joinSecretListSchema.parse(
      await (await call("/v1/admin/join-secrets?limit=100", { token: admin.accessToken })).json(),
    );
    expect(secrets.items.find((s) => s.id === js.id)).toMatchObject({ nodes: 3, revokedAt: null });
    expect(JSON.stringify(secrets)).not.toContain(js.secret);
  });

  it("a replica that restarts gets its node back with a new token; the old token stops working", async () => {
    const admin = await registerAdmin();
    const js = await joinSecret(admin, ["127.0.0.1:*"]);
    const first = await enrolled(await enroll(js.secret, "replica", "http://127.0.0.1:9201"));
    expect((await beat(first.token)).status).toBe(200);
    const again = await enrolled(await enroll(js.secret, "replica", "http://127.0.0.1:9201/"));
    expect(again.nodeId).toBe(first.nodeId);
    expect(again.token).not.toBe(first.token);
    await expectProblem(await beat(first.token), 401, "UNAUTHENTICATED");
    expect((await beat(again.token)).status).toBe(200);
    // Two replicas that share a host name (on two machines) still get two nodes.
    const twin = await enrolled(await enroll(js.secret, "replica", "http://127.0.0.1:9202"));
    expect(twin.nodeId).not.toBe(first.nodeId);
    expect(twin.name).not.toBe(first.name);
  });

  it("only URLs on the secret's allowed hosts enroll: the node's URL stays the administrator's choice", async () => {
    const admin = await registerAdmin();
    const js = await joinSecret(admin, ["*.nodes.example.com"]);
    await expectProblem(await enroll(js.secret, "r", "https://evil.example"), 403, "FORBIDDEN");
    await expectProblem(await enroll(js.secret, "r", "https://a.b.nodes.example.com"), 403, "FORBIDDEN");
    await expectProblem(
      await enroll(js.secret, "r", "https://r1.nodes.example.com/elsewhere"),
      403,
      "FORBIDDEN",
    );
    const ok = await enrolled(await enroll(js.secret, "r1", "https://r1.nodes.example.com"));
    expect(ok.url).toBe("https://r1.nodes.example.com");
  });

  it("revoking the join secret stops enrollments but keeps its nodes; `nodes=remove` also removes them", async () => {
    const admin = await registerAdmin();
    const js = await joinSecret(admin, ["127.0.0.1:*"]);
    const node = await enrolled(await enroll(js.secret, "replica", "http://127.0.0.1:9301"));
    const revoke = (query = "") =>
      call(`/v1/admin/join-secrets/${js.id}${query}`, { method: "DELETE", token: admin.accessToken });
    expect((await revoke()).status).toBe(204);
    await expectProblem(
      await enroll(js.secret, "replica-2", "http://127.0.0.1:9302"),
      401,
      "UNAUTHENTICATED",
    );
    // A rotation must not take the pool down: the node keeps beating with its own token.
    expect((await beat(node.token)).status).toBe(200);
    expect((await revoke("?nodes=remove")).status).toBe(204);
    await expectProblem(await beat(node.token), 401, "UNAUTHENTICATED");
    expect((await nodesOf(admin)).some((n) => n.id === node.nodeId)).toBe(false);
    await expectProblem(
      await call(`/v1/admin/join-secrets/${crypto.randomUUID()}`, {
        method: "DELETE",
        token: admin.accessToken,
      }),
      404,
      "NOT_FOUND",
    );
  });

  it("an administrator can revoke a single enrolled node", async () => {
    const admin = await registerAdmin();
    const js = await joinSecret(admin, ["127.0.0.1:*"]);
    const [a, b] = await Promise.all([
      enroll(js.secret, "a", "http://127.0.0.1:9401").then(enrolled),
      enroll(js.secret, "b", "http://127.0.0.1:9402").then(enrolled),
    ]);
    const removed = await call(`/v1/admin/nodes/${a?.nodeId}`, {
      method: "DELETE",
      token: admin.accessToken,
    });
    expect(removed.status).toBe(204);
    await expectProblem(await beat(a?.token ?? ""), 401, "UNAUTHENTICATED");
    expect((await beat(b?.token ?? "")).status).toBe(200);
  });
});

describe("the pool's signal for an autoscaler", () => {
  it("reports waiting jobs per kind and task, the oldest wait, healthy and busy nodes, as JSON and Prometheus text", async () => {
    const admin = await registerAdmin();
    const writer = await registerUser();
    const js = await joinSecret(admin, ["127.0.0.1:*"]);
    // The edge suite's nodes serve sentiment only, so the entry's analysis waits for a node.
    const entry = (await (
      await call("/v1/entries", { token: writer.accessToken, body: { content: "Waiting for a node." } })
    ).json()) as { jobId: string };
    await testDb()
      .update(jobs)
      .set({ createdAt: new Date(Date.now() - 600_000) })
      .where(eq(jobs.id, entry.jobId));
    const [idle, busy] = await Promise.all([
      enroll(js.secret, "idle", "http://127.0.0.1:9501").then(enrolled),
      enroll(js.secret, "busy", "http://127.0.0.1:9502").then(enrolled),
    ]);
    expect((await beat(idle?.token ?? "")).status).toBe(200);
    expect(
      (await beat(busy?.token ?? "", heartbeat({ load: { queueDepth: 4, running: 1, capacity: 64 } })))
        .status,
    ).toBe(200);

    const res = await call("/v1/admin/pool", { token: admin.accessToken });
    expect(res.status).toBe(200);
    const signal = poolSignalSchema.parse(await res.json());
    expect(signal.nodes.healthy).toBeGreaterThanOrEqual(2);
    expect(signal.nodes.busy).toBeGreaterThanOrEqual(1);
    expect(signal.utilisation).toBeGreaterThan(0);
    expect(signal.utilisation).toBeLessThanOrEqual(1);
    const analyze = signal.kinds.find((k) => k.kind === "analyze-entry");
    expect(analyze?.needs).toEqual(["embedding", "sentiment", "emotion"]);
    expect(analyze?.waiting).toBeGreaterThanOrEqual(1);
    expect(analyze?.oldestWaitingSeconds).toBeGreaterThanOrEqual(590);
    const embedding = signal.tasks.find((t) => t.task === "embedding");
    expect(embedding?.waiting).toBeGreaterThanOrEqual(1);
    expect(embedding?.oldestWaitingSeconds).toBeGreaterThanOrEqual(590);
    expect(signal.tasks.find((t) => t.task === "sentiment")?.healthyNodes).toBeGreaterThanOrEqual(2);
    expect(signal.jobs.oldestWaitingSeconds).toBeGreaterThanOrEqual(590);

    const metrics = await call("/v1/admin/pool/metrics", { token: admin.accessToken });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("Content-Type")).toContain("text/plain; version=0.0.4");
    const text = await metrics.text();
    expect(text).toContain("# TYPE inkwell_pool_jobs_waiting gauge");
    const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    expect(sample('inkwell_pool_nodes\\{status="healthy"\\}')).toBeGreaterThanOrEqual(2);
    expect(sample('inkwell_pool_oldest_waiting_seconds\\{kind="analyze-entry"\\}')).toBeGreaterThanOrEqual(
      590,
    );
    expect(sample('inkwell_pool_task_jobs_waiting\\{task="embedding"\\}')).toBeGreaterThanOrEqual(1);
    expect(sample("inkwell_pool_utilisation")).toBeGreaterThan(0);
    // Every sample line is `name{labels} number`.
    for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
      expect(line).toMatch(/^inkwell_pool_[a-z_]+(\{[a-z]+="[^"]*"\})? -?[0-9.e+-]+$/);
    }
    await testDb().delete(jobs).where(eq(jobs.id, entry.jobId));
  });
});
