import { Redis } from "ioredis";
import type postgres from "postgres";
import { waitForPortFree } from "../lib/ports.ts";
import type { RunningNode, Stack } from "../stack.ts";
import { eventually } from "../testing/eventually.ts";
import type { LinkMode, NodeLink } from "./node-proxy.ts";

export const FAULT_KINDS = [
  "node-kill",
  "qstash-restart",
  "redis-restart",
  "chroma-restart",
  "postgres-restart",
  "node-hang",
  "node-garbage",
  "node-slow",
  "redis-full",
  "edge-restart",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What a fault disturbs, and so what "recovered" means for it (see recoveryTimes in report.ts). */
export const AFFECTS: Record<FaultKind, "analysis" | "api"> = {
  "node-kill": "analysis",
  "node-hang": "analysis",
  "node-garbage": "analysis",
  "node-slow": "analysis",
  "qstash-restart": "analysis",
  "chroma-restart": "analysis",
  "redis-restart": "api",
  "redis-full": "api",
  "postgres-restart": "api",
  "edge-restart": "api",
};

export interface InjectedFault {
  kind: FaultKind;
  /** When the fault began (ms since the epoch). */
  at: number;
  /** When the part was running again. */
  restoredAt: number;
}

/** The parts a fault acts on: the stack, and the inference node the campaign runs (replaced on restart). */
export interface FaultTarget {
  stack: Stack;
  sql: ReturnType<typeof postgres>;
  node: RunningNode;
  /** The proxy the node is registered behind: the garbage and slow faults act on it. */
  link: NodeLink;
  nodeEnv?: Record<string, string>;
  heartbeatTtlSeconds: number;
}

/** The edge schedules nothing more on a node whose last heartbeat is older than the TTL. */
async function edgeGaveUpOn(target: FaultTarget, nodeId: string): Promise<boolean> {
  try {
    const [row] = await target.sql<{ stale: boolean }[]>`
      select coalesce(last_heartbeat_at < now() - make_interval(secs => ${target.heartbeatTtlSeconds}), true) as stale
      from nodes where id = ${nodeId}`;
    return row?.stale ?? true;
  } catch {
    // Postgres may be restarting at the same moment; ask again.
    return false;
  }
}

/** Kills the node and starts it again on the same ports, as a machine that rebooted. */
async function restartNode(target: FaultTarget): Promise<void> {
  const { name, url, adminUrl } = target.node;
  await target.node.kill();
  await waitForPortFree("127.0.0.1", Number(new URL(url).port));
  await waitForPortFree("127.0.0.1", Number(new URL(adminUrl).port));
  target.node = await target.stack.startNode(name, target.nodeEnv, {
    port: Number(new URL(url).port),
    adminPort: Number(new URL(adminUrl).port),
    publicUrl: target.link.url,
  });
}

/**
 * A disturbance (garbage, a slow link, a full Redis) lasts at least DISTURB_MIN_MS and until it has met
 * DISTURB_REQUESTS requests, at most DISTURB_MAX_MS: long enough for retries to meet it too.
 */
const DISTURB_MIN_MS = 8_000;
const DISTURB_MAX_MS = 30_000;
const DISTURB_REQUESTS = 5;

/** Puts the link in `mode` until it has answered enough requests so (or the time is up), then heals it. */
async function disturbLink(target: FaultTarget, mode: LinkMode, delayMs?: number): Promise<void> {
  const { link } = target;
  const before = link.answered[mode];
  const minimum = Date.now() + DISTURB_MIN_MS;
  link.setMode(mode, delayMs === undefined ? undefined : { delayMs });
  try {
    await eventually(async () => Date.now() >= minimum && link.answered[mode] - before >= DISTURB_REQUESTS, {
      timeoutMs: DISTURB_MAX_MS,
      what: `${DISTURB_REQUESTS} requests to meet the ${mode} link`,
    }).catch(() => {
      // A quiet moment in the load: the fault lasted its longest, which is fault enough.
    });
  } finally {
    link.setMode("pass");
  }
}

/** Writes Redis refused for want of memory so far (INFO errorstats). */
async function oomErrors(redis: Redis): Promise<number> {
  const info = await redis.info("errorstats");
  return Number(/errorstat_OOM:count=(\d+)/.exec(info)?.[1] ?? 0);
}

/**
 * Redis full: maxmemory far below what it holds, with no eviction, so every write is refused (OOM) while
 * reads still work; until a few writes were refused (or the time is up), then the old limits come back.
 */
async function fillRedis(target: FaultTarget): Promise<void> {
  const redis = new Redis(target.stack.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const [, maxmemory = "0"] = (await redis.config("GET", "maxmemory")) as string[];
    const [, policy = "noeviction"] = (await redis.config("GET", "maxmemory-policy")) as string[];
    const before = await oomErrors(redis);
    await redis.config("SET", "maxmemory-policy", "noeviction");
    await redis.config("SET", "maxmemory", "1");
    const minimum = Date.now() + DISTURB_MIN_MS;
    try {
      await eventually(
        async () => Date.now() >= minimum && (await oomErrors(redis)) - before >= DISTURB_REQUESTS,
        { timeoutMs: DISTURB_MAX_MS, what: "writes refused by a full Redis" },
      ).catch(() => {});
    } finally {
      await redis.config("SET", "maxmemory", maxmemory);
      await redis.config("SET", "maxmemory-policy", policy);
    }
  } finally {
    redis.disconnect();
  }
}

/** The slow link's delay each way: longer than a quick answer, well within every caller's timeout. */
export const NODE_SLOW_DELAY_MS = 3_000;

/** Injects one fault and resolves once the faulted part runs again. */
export async function injectFault(kind: FaultKind, target: FaultTarget): Promise<InjectedFault> {
  const at = Date.now();
  switch (kind) {
    case "node-kill":
      await restartNode(target);
      break;
    case "node-hang": {
      // Frozen: it holds its connections and answers nothing. It stays so until the edge stops
      // scheduling on it (its heartbeat expired), then it is killed and a fresh one started.
      target.node.freeze();
      await eventually(() => edgeGaveUpOn(target, target.node.id), {
        timeoutMs: (target.heartbeatTtlSeconds + 60) * 1000,
        what: "the edge to stop counting on the hung node",
      });
      await restartNode(target);
      break;
    }
    case "node-garbage":
      await disturbLink(target, "garbage");
      break;
    case "node-slow":
      await disturbLink(target, "slow", NODE_SLOW_DELAY_MS);
      break;
    case "redis-full":
      await fillRedis(target);
      break;
    case "qstash-restart":
      await target.stack.restartQStash();
      break;
    case "redis-restart":
      await target.stack.restartRedis();
      break;
    case "chroma-restart":
      await target.stack.restartChroma();
      break;
    case "postgres-restart":
      await target.stack.restartPostgres();
      break;
    case "edge-restart":
      await target.stack.restartEdge();
      break;
  }
  return { kind, at, restoredAt: Date.now() };
}

/**
 * The campaign's schedule: each kind `repeats` times, shuffled with the seed, each at a point of the
 * load's progress (0..1) drawn from the middle of the run so there is load before and after.
 */
export function faultSchedule(
  kinds: readonly FaultKind[],
  repeats: number,
  random: () => number,
): { kind: FaultKind; at: number }[] {
  const list = kinds.flatMap((kind) => Array.from({ length: repeats }, () => kind));
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j] as FaultKind, list[i] as FaultKind];
  }
  const points = list.map(() => 0.05 + random() * 0.75).sort((a, b) => a - b);
  return list.map((kind, i) => ({ kind, at: points[i] ?? 0.5 }));
}
