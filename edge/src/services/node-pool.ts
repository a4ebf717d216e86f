import { MODEL_TASKS, type PoolSignal } from "@inkwell/shared";
import { and, count, eq, inArray, min } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { jobs, nodes } from "../db/schema/index.ts";
import { JOB_KINDS } from "./job-dispatch.ts";
import { nodeStatus } from "./nodes.ts";

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
const ageSeconds = (since: Date | null, now: Date) =>
  since === null ? 0 : Math.max(0, Math.round((now.getTime() - since.getTime()) / 100) / 10);

/**
 * What an autoscaler reads: the node work the edge holds (waiting for a node, or handed to one and not
 * answered), the oldest wait, and how many healthy nodes have work in hand, overall and per model task.
 * Two grouped reads of the jobs table (by status and kind, on its status index) and one of the nodes.
 */
export async function poolSignal(db: Database, ttlSeconds: number, now = new Date()): Promise<PoolSignal> {
  const kinds = Object.keys(JOB_KINDS);
  const [jobRows, nodeRows, running] = await Promise.all([
    db
      .select({ kind: jobs.kind, status: jobs.status, n: count(), oldest: min(jobs.createdAt) })
      .from(jobs)
      .where(and(inArray(jobs.status, ["queued", "running"]), inArray(jobs.kind, kinds)))
      .groupBy(jobs.kind, jobs.status),
    db
      .select({
        id: nodes.id,
        status: nodes.status,
        draining: nodes.draining,
        lastHeartbeatAt: nodes.lastHeartbeatAt,
        unreachableSince: nodes.unreachableSince,
        models: nodes.models,
        load: nodes.load,
      })
      .from(nodes),
    db
      .select({ nodeId: jobs.nodeId, n: count() })
      .from(jobs)
      .where(eq(jobs.status, "running"))
      .groupBy(jobs.nodeId),
  ]);
  const runningByNode = new Map(running.map((r) => [r.nodeId, Number(r.n)]));

  const perNode = nodeRows.map((row) => {
    const status = nodeStatus(row, now, ttlSeconds);
    const load = row.load;
    const busy =
      status === "healthy" &&
      ((runningByNode.get(row.id) ?? 0) > 0 || (load?.queueDepth ?? 0) > 0 || (load?.running ?? 0) > 0);
    return { status, busy, tasks: new Set(row.models.map((m) => m.task)) };
  });
  const healthy = perNode.filter((n) => n.status === "healthy");
  const busy = healthy.filter((n) => n.busy).length;

  const byKind = kinds.map((kind) => {
    const queued = jobRows.find((r) => r.kind === kind && r.status === "queued");
    const inFlight = jobRows.find((r) => r.kind === kind && r.status === "running");
    return {
      kind,
      needs: [...(JOB_KINDS[kind]?.tasks ?? [])],
      waiting: Number(queued?.n ?? 0),
      running: Number(inFlight?.n ?? 0),
      oldestWaitingSeconds: ageSeconds(queued?.oldest ?? null, now),
    };
  });

  const tasks = MODEL_TASKS.map((task) => {
    const needing = byKind.filter((k) => k.needs.includes(task));
    const serving = healthy.filter((n) => n.tasks.has(task));
    return {
      task,
      waiting: needing.reduce((sum, k) => sum + k.waiting, 0),
      oldestWaitingSeconds: Math.max(0, ...needing.map((k) => k.oldestWaitingSeconds)),
      healthyNodes: serving.length,
      utilisation: share(serving.filter((n) => n.busy).length, serving.length),
    };
  });

  return {
    at: now.toISOString(),
    nodes: {
      healthy: healthy.length,
      draining: perNode.filter((n) => n.status === "draining").length,
      offline: perNode.filter((n) => n.status === "offline").length,
      busy,
    },
    jobs: {
      waiting: byKind.reduce((sum, k) => sum + k.waiting, 0),
      running: byKind.reduce((sum, k) => sum + k.running, 0),
      oldestWaitingSeconds: Math.max(0, ...byKind.map((k) => k.oldestWaitingSeconds)),
    },
    utilisation: share(busy, healthy.length),
    tasks,
    kinds: byKind,
  };
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** The same signal in the Prometheus text exposition format (0.0.4), for a scraper or KEDA. */
export function poolMetricsText(signal: PoolSignal): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const entries = Object.entries(labels);
      const label =
        entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
      lines.push(`${name}${label} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  gauge(
    "inkwell_pool_nodes",
    "Registered inference nodes by status.",
    (["healthy", "draining", "offline"] as const).map((status) => [{ status }, signal.nodes[status]]),
  );
  gauge("inkwell_pool_busy_nodes", "Healthy nodes with work in hand.", [[{}, signal.nodes.busy]]);
  gauge("inkwell_pool_utilisation", "Share of healthy nodes with work in hand (0 to 1).", [
    [{}, signal.utilisation],
  ]);
  gauge(
    "inkwell_pool_jobs_waiting",
    "Node jobs waiting for a node, by job kind.",
    signal.kinds.map((k) => [{ kind: k.kind }, k.waiting]),
  );
  gauge(
    "inkwell_pool_jobs_running",
    "Node jobs handed to a node and not answered yet, by job kind.",
    signal.kinds.map((k) => [{ kind: k.kind }, k.running]),
  );
  gauge(
    "inkwell_pool_oldest_waiting_seconds",
    "Age of the oldest job waiting for a node, by job kind.",
    signal.kinds.map((k) => [{ kind: k.kind }, k.oldestWaitingSeconds]),
  );
  gauge(
    "inkwell_pool_task_jobs_waiting",
    "Jobs waiting for a node serving this model task.",
    signal.tasks.map((t) => [{ task: t.task }, t.waiting]),
  );
  gauge(
    "inkwell_pool_task_oldest_waiting_seconds",
    "Age of the oldest job waiting for a node serving this model task.",
    signal.tasks.map((t) => [{ task: t.task }, t.oldestWaitingSeconds]),
  );
  gauge(
    "inkwell_pool_task_healthy_nodes",
    "Healthy nodes serving this model task.",
    signal.tasks.map((t) => [{ task: t.task }, t.healthyNodes]),
  );
  gauge(
    "inkwell_pool_task_utilisation",
    "Share of the healthy nodes serving this model task that have work in hand (0 to 1).",
    signal.tasks.map((t) => [{ task: t.task }, t.utilisation]),
  );
  return `${lines.join("\n")}\n`;
}
