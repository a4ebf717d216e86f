import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { envSchema } from "@inkwell/inference-node/config";
import { adminNodeSchema, poolSignalSchema } from "@inkwell/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { repoRoot } from "../../src/lib/paths.ts";
import { freePort, waitForHttp } from "../../src/lib/ports.ts";
import { ManagedProcess } from "../../src/lib/process.ts";
import { formatDotenv } from "../../src/secrets.ts";
import { startTestStack } from "../../src/testing/test-stack.ts";
import { api, type Client, database, eventually, type Sql } from "../pipeline/helpers.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

const nodeList = z.object({ items: z.array(adminNodeSchema) });

/**
 * Scaling out the way an operator does: one join secret, one env file, three real node processes started
 * from it that differ only in the port the orchestrator gives each. Each enrolls itself and heartbeats
 * with its own token; the edge sees three healthy nodes; stopping one drains it first.
 */
describe("three replicas from one env file", () => {
  let stack: RunningStack;
  let sql: Sql;
  let admin: Client;
  const replicas: { port: number; process: ManagedProcess }[] = [];
  let client: ReturnType<typeof api>;

  beforeAll(async () => {
    stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge"], "replicas");
    sql = database(stack.databaseUrl);
    client = api(stack.edgeUrl);
    admin = await client.register();
    await sql`update users set role = 'admin' where id = ${admin.userId}`;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.process.stop()));
    await sql?.end({ timeout: 2 });
    await stack?.stop();
    // The env file holds a live join secret.
    if (stack) rmSync(stack.dataDir, { recursive: true, force: true });
  });

  it("each replica enrolls as a node of its own, and the edge counts three healthy nodes", async () => {
    const created = await client.request("/v1/admin/join-secrets", {
      token: admin.token,
      body: { name: "pool", allowedHosts: ["127.0.0.1:*"] },
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };

    const envFile = path.join(stack.dataDir, "replica.env");
    writeFileSync(
      envFile,
      formatDotenv(
        {
          EDGE_URL: stack.edgeUrl,
          NODE_JOIN_SECRET: secret,
          NODE_HOST: "127.0.0.1",
          // Replicas here share one host's loopback, so each takes a free port for its private listener
          // (in containers every replica has 9464 of its own).
          NODE_ADMIN_PORT: "0",
          CHROMA_URL: stack.chromaUrl,
          QSTASH_CURRENT_SIGNING_KEY: stack.edgeVars.QSTASH_CURRENT_SIGNING_KEY ?? "",
          QSTASH_NEXT_SIGNING_KEY: stack.edgeVars.QSTASH_NEXT_SIGNING_KEY ?? "",
          ENVIRONMENT: "test",
          LLM_BACKEND: "none",
          LOG_LEVEL: "info",
        },
        "One env file for every replica.",
      ),
    );
    // Nothing the node reads comes from this process's environment: only the file and the port.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !(key in envSchema.shape)),
    );
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const replica = new ManagedProcess({
        name: `replica-${i + 1}`,
        command: process.execPath,
        args: [
          `--env-file=${envFile}`,
          "--import",
          "tsx",
          path.join(repoRoot, "inference-node/src/server.ts"),
        ],
        cwd: path.join(repoRoot, "inference-node"),
        env: { ...inherited, NODE_PORT: String(port) },
        logFile: path.join(stack.dataDir, "logs", `replica-${i + 1}.log`),
      }).start();
      replicas.push({ port, process: replica });
    }
    await Promise.all(
      replicas.map(({ port, process: replica }) =>
        Promise.race([
          waitForHttp(`http://127.0.0.1:${port}/health`, { timeoutMs: 150_000 }),
          replica.waitForExit().then(() => {
            throw new Error(`${replica.name} exited during start-up:\n${replica.tail()}`);
          }),
        ]),
      ),
    );

    const healthy = await eventually(
      async () => {
        const res = await client.request("/v1/admin/nodes", { token: admin.token });
        const nodes = nodeList.parse(await res.json()).items;
        return nodes.filter((n) => n.status === "healthy").length === 3 ? nodes : undefined;
      },
      { timeoutMs: 30_000, what: "three healthy nodes" },
    );
    expect(new Set(healthy.map((n) => n.id)).size).toBe(3);
    expect(new Set(healthy.map((n) => n.name)).size).toBe(3);
    expect(healthy.map((n) => n.url).sort()).toEqual(
      replicas.map((r) => `http://127.0.0.1:${r.port}`).sort(),
    );
    for (const node of healthy) expect(node.models.map((m) => m.task)).toContain("embedding");
    const tokens = await sql<{ token_hash: string }[]>`select token_hash from nodes`;
    expect(new Set(tokens.map((t) => t.token_hash)).size).toBe(3);

    const pool = poolSignalSchema.parse(
      await (await client.request("/v1/admin/pool", { token: admin.token })).json(),
    );
    expect(pool.nodes).toMatchObject({ healthy: 3, draining: 0, offline: 0 });
    expect(pool.tasks.find((t) => t.task === "embedding")?.healthyNodes).toBe(3);
  }, 240_000);

  it("a replica that is stopped says goodbye: the edge drains it and routes nothing more to it", async () => {
    const [first] = replicas;
    if (!first) throw new Error("no replica started");
    await first.process.stop();
    const nodes = await eventually(
      async () => {
        const res = await client.request("/v1/admin/nodes", { token: admin.token });
        const items = nodeList.parse(await res.json()).items;
        const stopped = items.find((n) => n.url === `http://127.0.0.1:${first.port}`);
        return stopped?.status === "draining" ? items : undefined;
      },
      { timeoutMs: 15_000, what: "the stopped replica to be draining" },
    );
    expect(nodes.filter((n) => n.status === "healthy")).toHaveLength(2);
    const pool = poolSignalSchema.parse(
      await (await client.request("/v1/admin/pool", { token: admin.token })).json(),
    );
    expect(pool.nodes).toMatchObject({ healthy: 2, draining: 1 });
  }, 60_000);
});
