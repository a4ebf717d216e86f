import { adminNodeSchema, hashToken } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { nodes } from "../../src/db/schema/index.ts";
import {
  call,
  callWithEnv,
  createKey,
  expectProblem,
  expectValidationPaths,
  registerAdmin,
  registerUser,
  testDb,
} from "../harness.ts";
import { beat, heartbeat, registerNode, removeTestNodes } from "./helpers.ts";

afterAll(removeTestNodes);

const list = z.object({ items: z.array(adminNodeSchema) });

async function nodesOf(token: string) {
  // Every test file shares the registry: one page of the most a page holds, so this test's node is on it.
  const res = await call("/v1/admin/nodes?limit=100", { token });
  expect(res.status).toBe(200);
  return list.parse(await res.json()).items;
}

describe("node registry", () => {
  it("registers a node: the token is shown once and only its hash is kept; heartbeats make it healthy", async () => {
    const admin = await registerAdmin();
    const created = await registerNode(admin);
    expect(created.token).toMatch(/^nt_[A-Za-z0-9_-]{43}$/);
    const [row] = await testDb().select().from(nodes).where(eq(nodes.id, created.id));
    expect(row?.tokenHash).toBe(await hashToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);

    let node = (await nodesOf(admin.accessToken)).find((n) => n.id === created.id);
    expect(node).toMatchObject({ status: "offline", lastHeartbeatAt: null, runningJobs: 0 });

    const res = await beat(created.token, heartbeat({ load: { queueDepth: 3, running: 1, capacity: 64 } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ nodeId: created.id, status: "healthy" });
    node = (await nodesOf(admin.accessToken)).find((n) => n.id === created.id);
    expect(node).toMatchObject({
      status: "healthy",
      hardware: { cuda: true, gpuName: "NVIDIA Test GPU", memoryMiB: 24_000, device: "cuda" },
      load: { queueDepth: 3, running: 1, capacity: 64 },
      models: [{ id: "test-sentiment", task: "sentiment" }],
    });
    expect(Date.parse(node?.lastHeartbeatAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
  });

  it("drains a node (and resumes it), and a removed node's token stops working", async () => {
    const admin = await registerAdmin();
    const created = await registerNode(admin);
    await beat(created.token);
    expect(
      (await call(`/v1/admin/nodes/${created.id}/drain`, { method: "POST", token: admin.accessToken }))
        .status,
    ).toBe(204);
    expect((await nodesOf(admin.accessToken)).find((n) => n.id === created.id)).toMatchObject({
      status: "draining",
      draining: true,
    });
    // The node learns it at its next beat.
    expect(await (await beat(created.token)).json()).toMatchObject({ status: "draining" });

    expect(
      (await call(`/v1/admin/nodes/${created.id}/drain`, { method: "DELETE", token: admin.accessToken }))
        .status,
    ).toBe(204);
    expect(await (await beat(created.token)).json()).toMatchObject({ status: "healthy" });

    expect(
      (await call(`/v1/admin/nodes/${created.id}`, { method: "DELETE", token: admin.accessToken })).status,
    ).toBe(204);
    await expectProblem(await beat(created.token), 401, "UNAUTHENTICATED");
    await expectProblem(
      await call(`/v1/admin/nodes/${created.id}`, { method: "DELETE", token: admin.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call(`/v1/admin/nodes/nope/drain`, { method: "POST", token: admin.accessToken }),
      404,
      "NOT_FOUND",
    );
  });

  it("refuses a duplicate name and a bad URL", async () => {
    const admin = await registerAdmin();
    const created = await registerNode(admin);
    await expectProblem(
      await call("/v1/admin/nodes", {
        token: admin.accessToken,
        body: { name: created.name, url: "http://127.0.0.1:9" },
      }),
      409,
      "CONFLICT",
    );
    await expectProblem(
      await call("/v1/admin/nodes", {
        token: admin.accessToken,
        body: { name: "x-ftp", url: "ftp://example.test" },
      }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("pages the registry by name with limit and cursor: every node once, in order", async () => {
    const admin = await registerAdmin();
    const mine = new Set<string>();
    for (let i = 0; i < 3; i++) mine.add((await registerNode(admin)).id);
    const seen: { id: string; name: string }[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/admin/nodes?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await call(path, { token: admin.accessToken });
      expect(res.status).toBe(200);
      const page = z
        .object({ items: z.array(adminNodeSchema), nextCursor: z.string().nullable() })
        .parse(await res.json());
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    const ids = seen.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of mine) expect(ids).toContain(id);
    // Other files register nodes too; this test's own ("node-" and hex) sort the same in any collation.
    const names = seen.filter((n) => mine.has(n.id)).map((n) => n.name);
    expect(names).toEqual([...names].sort());
    await expectProblem(
      await call("/v1/admin/nodes?cursor=made.up", { token: admin.accessToken }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("an admin API key with the admin scope may operate; one without it may not", async () => {
    const admin = await registerAdmin();
    const withAdmin = await createKey(admin, ["admin"]);
    const without = await createKey(admin, ["entries:read"]);
    expect((await call("/v1/admin/nodes", { token: withAdmin.key })).status).toBe(200);
    await expectProblem(await call("/v1/admin/nodes", { token: without.key }), 403, "FORBIDDEN");
  });
});

describe("a node's URL is the administrator's", () => {
  it("a heartbeat cannot move a node: the other URL is only shown to administrators", async () => {
    const admin = await registerAdmin();
    const created = await registerNode(admin, undefined, "http://127.0.0.1:9");
    expect((await beat(created.token, heartbeat({ url: "http://attacker.example/" }))).status).toBe(200);
    let node = (await nodesOf(admin.accessToken)).find((n) => n.id === created.id);
    expect(node).toMatchObject({ url: "http://127.0.0.1:9", reportedUrl: "http://attacker.example" });
    const [row] = await testDb().select().from(nodes).where(eq(nodes.id, created.id));
    expect(row?.url).toBe("http://127.0.0.1:9");
    // Reporting the registered URL again clears the report.
    expect((await beat(created.token, heartbeat({ url: "http://127.0.0.1:9" }))).status).toBe(200);
    node = (await nodesOf(admin.accessToken)).find((n) => n.id === created.id);
    expect(node?.reportedUrl).toBeNull();
  });

  it("an administrator moves it (PATCH), and only to https in production", async () => {
    const admin = await registerAdmin();
    const created = await registerNode(admin);
    const moved = await call(`/v1/admin/nodes/${created.id}`, {
      method: "PATCH",
      token: admin.accessToken,
      body: { url: "https://node-2.example/" },
    });
    expect(moved.status).toBe(204);
    expect((await nodesOf(admin.accessToken)).find((n) => n.id === created.id)?.url).toBe(
      "https://node-2.example",
    );
    await expectProblem(
      await call("/v1/admin/nodes/0190f000-0000-7000-8000-000000000000", {
        method: "PATCH",
        token: admin.accessToken,
        body: { url: "https://node-3.example" },
      }),
      404,
      "NOT_FOUND",
    );
    const production = { ENVIRONMENT: "production" };
    for (const [method, path, body] of [
      ["PATCH", `/v1/admin/nodes/${created.id}`, { url: "http://node-2.example" }],
      [
        "POST",
        "/v1/admin/nodes",
        { name: `plain-${crypto.randomUUID().slice(0, 8)}`, url: "http://n.example" },
      ],
    ] as const) {
      const res = await callWithEnv(production, path, { method, token: admin.accessToken, body });
      expect(await expectValidationPaths(res)).toEqual(["url"]);
    }
  });
});

describe("operator routes: security", () => {
  const routes: [string, string, unknown?][] = [
    ["POST", "/v1/admin/nodes", { name: "sec-node", url: "http://127.0.0.1:9" }],
    ["GET", "/v1/admin/nodes"],
    ["POST", "/v1/admin/nodes/0190f000-0000-7000-8000-000000000000/drain"],
    ["DELETE", "/v1/admin/nodes/0190f000-0000-7000-8000-000000000000/drain"],
    ["DELETE", "/v1/admin/nodes/0190f000-0000-7000-8000-000000000000"],
    ["PATCH", "/v1/admin/nodes/0190f000-0000-7000-8000-000000000000", { url: "https://node.example" }],
    ["GET", "/v1/admin/jobs?status=failed"],
    ["POST", "/v1/admin/jobs/0190f000-0000-7000-8000-000000000000/retry"],
    ["POST", "/v1/admin/reindex", {}],
  ];

  it.each(routes)(
    "%s %s: 401 without a token, 401 with a forged one, 403 for a non-admin",
    async (method, path, body) => {
      await expectProblem(await call(path, { method, ...(body ? { body } : {}) }), 401, "UNAUTHENTICATED");
      await expectProblem(
        await call(path, {
          method,
          token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged",
          ...(body ? { body } : {}),
        }),
        401,
        "UNAUTHENTICATED",
      );
      const user = await registerUser();
      await expectProblem(
        await call(path, { method, token: user.accessToken, ...(body ? { body } : {}) }),
        403,
        "FORBIDDEN",
      );
    },
  );
});
