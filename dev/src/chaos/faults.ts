import type postgres from "postgres";
import type { RunningNode, Stack } from "../stack.ts";

export const FAULT_KINDS = [
  "node-kill",
  "qstash-restart",
  "redis-restart",
  "chroma-restart",
  "postgres-restart",
  "node-hang",
  "edge-restart",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What a fault disturbs, and so what "recovered" means for it (see recoveryTimes in report.ts). */
export const AFFECTS: Record<FaultKind, "analysis" | "api"> = {
  "node-kill": "analysis",
  "node-hang": "analysis",
  "qstash-restart": "analysis",
  "chroma-restart": "analysis",
  "redis-restart": "api",
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
  nodeEnv?: Record<string, string>;
  heartbeatTtlSeconds: number;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
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
  target.node = await target.stack.startNode(name, target.nodeEnv, {
    port: Number(new URL(url).port),
    adminPort: Number(new URL(adminUrl).port),
  });
}

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
      await until(
        () => edgeGaveUpOn(target, target.node.id),
        (target.heartbeatTtlSeconds + 60) * 1000,
        "the edge to stop counting on the hung node",
      );
      await restartNode(target);
      break;
    }
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
