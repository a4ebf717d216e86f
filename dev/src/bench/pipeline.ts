import os from "node:os";
import postgres from "postgres";
import { eventually } from "../testing/eventually.ts";
import { registerBenchWriter, startBenchStack } from "./bench-stack.ts";
import { percentile } from "./stats.ts";

const LIGHT_ENTRIES = 40;
const SATURATION_ENTRIES = 240;
const CLIENTS = 20;

export interface Saturation {
  nodes: number;
  entries: number;
  clients: number;
  /** From the first POST to the last analysis written. */
  seconds: number;
  entriesPerSecond: number;
}

export interface PipelineBenchResult {
  cores: number;
  lightLoad: { entries: number; p50Ms: number; p99Ms: number; minMs: number; maxMs: number };
  saturation: { oneNode: Saturation; twoNodes: Saturation; scaling: number };
}

type Sql = ReturnType<typeof postgres>;

/** Waits for the pipeline, polling every `intervalMs`. */
async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  await eventually(check, { timeoutMs, intervalMs, what: "the pipeline to finish" });
}

/**
 * Entry POST → analysis `done` through the whole local stack (wrangler dev, the QStash stand-in with its
 * callbacks, real nodes with the offline models, Postgres, Redis, Chroma): latency at light load (one
 * writer, one entry at a time), then sustained throughput at saturation with one node and with two.
 */
export async function pipelineBench(log: (m: string) => void): Promise<PipelineBenchResult> {
  const { stack } = await startBenchStack("pipeline", ["postgres", "redis", "qstash", "chroma", "edge"], log);
  const sql: Sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  try {
    const register = async () => {
      // Each client from its own address: sign-up is limited per address.
      const [a = 0, b = 0] = crypto.getRandomValues(new Uint16Array(2));
      const ip = `2001:db8:${a.toString(16)}:${b.toString(16)}::1`;
      return (await registerBenchWriter(stack.edgeUrl, { headers: { "CF-Connecting-IP": ip } })).accessToken;
    };
    const post = async (token: string, i: number): Promise<string> => {
      const res = await fetch(`${stack.edgeUrl}/v1/entries`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          content: `Entry ${i}: a long day at work, then a walk by the river; I feel ${i % 3 ? "calm" : "worried"}.`,
        }),
      });
      if (res.status !== 201) throw new Error(`POST /v1/entries answered ${res.status}`);
      return ((await res.json()) as { id: string }).id;
    };
    const allDone = (ids: string[]) => async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from entry_analyses where entry_id = any(${ids}::uuid[]) and status = 'done'`;
      return row?.n === ids.length;
    };

    log("starting node a");
    await stack.startNode("a");
    const writer = await register();
    // Warm-up: the first jobs pay for connection set-up and JIT in every process.
    const warm = await Promise.all(Array.from({ length: 10 }, (_, i) => post(writer, i)));
    await waitUntil(allDone(warm), 60_000, 20);

    log(`light load: ${LIGHT_ENTRIES} entries, one at a time`);
    const latencies: number[] = [];
    for (let i = 0; i < LIGHT_ENTRIES; i++) {
      const t0 = performance.now();
      const id = await post(writer, i);
      await waitUntil(allDone([id]), 30_000, 2);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 10) / 10;

    const tokens: string[] = [];
    for (let i = 0; i < CLIENTS; i++) tokens.push(await register());
    const saturate = async (nodes: number): Promise<Saturation> => {
      log(`saturation: ${SATURATION_ENTRIES} entries from ${CLIENTS} clients, ${nodes} node(s)`);
      const ids: string[] = [];
      const started = performance.now();
      let next = 0;
      await Promise.all(
        tokens.map(async (token) => {
          for (let i = next++; i < SATURATION_ENTRIES; i = next++) ids.push(await post(token, i));
        }),
      );
      await waitUntil(allDone(ids), 300_000, 50);
      const seconds = (performance.now() - started) / 1000;
      return {
        nodes,
        entries: SATURATION_ENTRIES,
        clients: CLIENTS,
        seconds: round(seconds),
        entriesPerSecond: round(SATURATION_ENTRIES / seconds),
      };
    };
    const oneNode = await saturate(1);
    log("starting node b");
    await stack.startNode("b");
    await waitUntil(
      async () => {
        const [row] = await sql<
          { n: number }[]
        >`select count(*)::int as n from nodes where status = 'healthy' and last_heartbeat_at > now() - interval '10 seconds'`;
        return row?.n === 2;
      },
      30_000,
      100,
    );
    const twoNodes = await saturate(2);
    return {
      cores: os.cpus().length,
      lightLoad: {
        entries: LIGHT_ENTRIES,
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
        minMs: round(latencies[0] ?? Number.NaN),
        maxMs: round(latencies.at(-1) ?? Number.NaN),
      },
      saturation: {
        oneNode,
        twoNodes,
        scaling: Math.round((twoNodes.entriesPerSecond / oneNode.entriesPerSecond) * 100) / 100,
      },
    };
  } finally {
    await sql.end({ timeout: 2 });
    await stack.stop();
  }
}
