import { nodeHeartbeatReplySchema } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { nodes } from "../../src/db/schema/index.ts";
import {
  heartbeatIntervalSeconds,
  heartbeatNeedsWrite,
  heartbeatRefreshSeconds,
  type StoredNode,
} from "../../src/services/node-heartbeat.ts";
import { call, edgeEnv, registerAdmin, testDb } from "../harness.ts";
import { beat, fakeHardware, heartbeat, registerNode, removeTestNodes } from "./helpers.ts";

afterAll(removeTestNodes);

const ttl = Number(edgeEnv.NODE_HEARTBEAT_TTL_SECONDS ?? 30);

async function stored(id: string) {
  const [row] = await testDb().select().from(nodes).where(eq(nodes.id, id));
  if (!row) throw new Error("node row missing");
  return row;
}

async function beatOk(token: string, body = heartbeat()) {
  const res = await beat(token, body);
  expect(res.status).toBe(200);
  return nodeHeartbeatReplySchema.parse(await res.json());
}

describe("heartbeat interval", () => {
  it("is a sixth of the TTL (5 s at the default 30), so lengthening the TTL lengthens it", () => {
    expect(heartbeatIntervalSeconds(30)).toBe(5);
    expect(heartbeatIntervalSeconds(300)).toBe(50);
    expect(heartbeatIntervalSeconds(5)).toBe(1);
  });

  it("keeps a stored beat fresh: refresh age plus a late interval stays well inside the TTL", () => {
    for (const t of [5, 30, 300, 3600]) {
      expect(heartbeatRefreshSeconds(t) + 1.1 * heartbeatIntervalSeconds(t)).toBeLessThan(0.75 * t);
    }
  });

  it("is what the edge answers a node", async () => {
    const admin = await registerAdmin();
    const node = await registerNode(admin);
    const reply = await beatOk(node.token);
    expect(reply.nextHeartbeatInSeconds).toBe(heartbeatIntervalSeconds(ttl));
  });
});

describe("which beats are written", () => {
  const now = new Date("2026-12-02T06:00:00Z");
  const base: StoredNode = {
    status: "healthy",
    draining: false,
    lastHeartbeatAt: new Date(now.getTime() - 1000),
    unreachableSince: null,
    version: "0.0.0-test",
    url: "http://127.0.0.1:9",
    reportedUrl: null,
    hardware: fakeHardware,
    // Keys in another order, as jsonb gives them back.
    models: [{ task: "sentiment", id: "test-sentiment" }] as StoredNode["models"],
    load: { capacity: 64, running: 0, queueDepth: 0 },
  };
  const same = heartbeat();

  it("skips a beat that changes nothing while the stored one is recent", () => {
    expect(heartbeatNeedsWrite(base, same, now, 30)).toBe(false);
    // Free memory alone moves on every beat and is not worth a write.
    const hardware = { ...fakeHardware, memory: { ...fakeHardware.memory, freeMiB: 1234 } };
    expect(heartbeatNeedsWrite(base, heartbeat({ hardware }), now, 30)).toBe(false);
    expect(heartbeatNeedsWrite(base, heartbeat({ url: "http://127.0.0.1:9/" }), now, 30)).toBe(false);
  });

  it("writes when the node's state or report changes, or the stored beat gets old", () => {
    const cases: [string, StoredNode, ReturnType<typeof heartbeat>][] = [
      ["offline before", { ...base, status: "offline" }, same],
      ["found unreachable", { ...base, unreachableSince: new Date(now.getTime() - 500) }, same],
      ["starts draining", base, heartbeat({ draining: true })],
      ["drained by an admin", { ...base, draining: true }, same],
      ["never beat", { ...base, lastHeartbeatAt: null }, same],
      ["stored beat old", { ...base, lastHeartbeatAt: new Date(now.getTime() - 10_000) }, same],
      ["new version", base, heartbeat({ version: "0.0.1" })],
      ["new model", base, heartbeat({ models: [...same.models, { id: "e", task: "embedding" }] })],
      ["load", base, heartbeat({ load: { queueDepth: 2, running: 1, capacity: 64 } })],
      ["GPU gone", base, heartbeat({ hardware: { ...fakeHardware, device: "cpu" } })],
      ["other URL", base, heartbeat({ url: "https://elsewhere.example" })],
    ];
    for (const [why, node, body] of cases) expect(heartbeatNeedsWrite(node, body, now, 30), why).toBe(true);
  });

  it("through the route: an unchanged beat leaves the row alone, a change or an old beat writes it", async () => {
    const admin = await registerAdmin();
    const node = await registerNode(admin);
    expect((await beatOk(node.token)).status).toBe("healthy");
    const first = await stored(node.id);
    expect(first.lastHeartbeatAt).not.toBeNull();

    expect((await beatOk(node.token)).status).toBe("healthy");
    const unchanged = await stored(node.id);
    expect(unchanged.lastHeartbeatAt).toEqual(first.lastHeartbeatAt);
    expect(unchanged.updatedAt).toEqual(first.updatedAt);

    const busy = { queueDepth: 5, running: 2, capacity: 64 };
    await beatOk(node.token, heartbeat({ load: busy }));
    const changed = await stored(node.id);
    expect(changed.load).toEqual(busy);
    expect(changed.lastHeartbeatAt?.getTime()).toBeGreaterThan(first.lastHeartbeatAt?.getTime() ?? 0);

    const old = new Date(Date.now() - (heartbeatRefreshSeconds(ttl) + 1) * 1000);
    await testDb().update(nodes).set({ lastHeartbeatAt: old }).where(eq(nodes.id, node.id));
    await beatOk(node.token, heartbeat({ load: busy }));
    expect((await stored(node.id)).lastHeartbeatAt?.getTime()).toBeGreaterThan(old.getTime());
  });

  it("through the route: draining by an administrator is written on the next beat", async () => {
    const admin = await registerAdmin();
    const node = await registerNode(admin);
    await beatOk(node.token);
    const drained = await call(`/v1/admin/nodes/${node.id}/drain`, {
      method: "POST",
      token: admin.accessToken,
    });
    expect(drained.status).toBeLessThan(300);
    expect((await beatOk(node.token)).status).toBe("draining");
    expect((await stored(node.id)).status).toBe("draining");
  });
});
