import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, freeStackPorts } from "../lib/ports.ts";
import { generateSecrets, type StackSecrets } from "../secrets.ts";
import { type Stack, type StackPart, startEdge, startStack } from "../stack.ts";

/** A benchmark's load would hit the per-user and per-address limits at once: its edges run without them. */
export const BENCH_EDGE_VARS: Record<string, string> = {
  RATE_LIMIT_USER_PER_MINUTE: "100000",
  RATE_LIMIT_IP_PER_MINUTE: "100000",
};

export interface BenchStack {
  stack: Stack;
  /** The bench's own temporary folder: the services' data and anything the bench writes. */
  dataDir: string;
  secrets: StackSecrets;
}

/**
 * A throwaway local stack for one benchmark: a new temporary folder, free ports and fresh secrets, nothing
 * kept. An edge among `parts` runs with BENCH_EDGE_VARS.
 */
export async function startBenchStack(
  name: string,
  parts: StackPart[],
  log: (message: string) => void,
): Promise<BenchStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `inkwell-bench-${name}-`));
  const secrets = generateSecrets();
  const stack = await startStack({
    dataDir,
    ports: await freeStackPorts(),
    secrets,
    persistent: false,
    parts,
    ...(parts.includes("edge") ? { edgeVars: BENCH_EDGE_VARS } : {}),
    log,
  });
  return { stack, dataDir, secrets };
}

/**
 * One more `wrangler dev` beside a bench stack started without its edge, on a free port, with
 * BENCH_EDGE_VARS and `vars` over the stack's edge settings (a second edge lets a bench compare settings).
 */
export async function startBenchEdge(
  { stack, dataDir }: BenchStack,
  vars: Record<string, string> = {},
  name?: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  return await startEdge({
    port: await freePort(),
    vars: { ...stack.edgeVars, ...BENCH_EDGE_VARS, ...vars },
    databaseUrl: stack.databaseUrl,
    dataDir,
    ...(name ? { name } : {}),
  });
}

export interface BenchWriter {
  accessToken: string;
  refreshToken: string;
  id: string;
}

/** Signs a new writer up on a bench edge; `headers` and `fields` add to the request (an address, a time zone). */
export async function registerBenchWriter(
  edgeUrl: string,
  { headers = {}, fields = {} }: { headers?: Record<string, string>; fields?: Record<string, unknown> } = {},
): Promise<BenchWriter> {
  const res = await fetch(`${edgeUrl}/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({
      email: `bench-${crypto.randomUUID()}@example.test`,
      password: "bench password 1234",
      ...fields,
    }),
  });
  if (res.status !== 201) throw new Error(`register answered ${res.status}`);
  const body = (await res.json()) as { accessToken: string; refreshToken: string; user: { id: string } };
  return { accessToken: body.accessToken, refreshToken: body.refreshToken, id: body.user.id };
}

/**
 * Two edges on one bench stack started without its own: one with the view cache, one without
 * (VIEW_CACHE=off). Each one's stop goes to the front of `stops`, so they stop before the stack.
 */
export async function startCachedAndUncachedEdges(
  bench: BenchStack,
  stops: (() => Promise<void>)[],
): Promise<{ cached: { url: string }; uncached: { url: string } }> {
  const cached = await startBenchEdge(bench, {}, "edge-cached");
  stops.unshift(cached.stop);
  const uncached = await startBenchEdge(bench, { VIEW_CACHE: "off" }, "edge-uncached");
  stops.unshift(uncached.stop);
  return { cached, uncached };
}
