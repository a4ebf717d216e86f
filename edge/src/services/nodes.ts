import {
  type AdminNode,
  type CreatedNode,
  type CreateNodeRequest,
  deriveNodeToken,
  type Hardware,
  hashToken,
  InkwellError,
  type NodeLoad,
  type NodeStatus,
  nodeTokenSalt,
  type UpdateNodeRequest,
  uuidv7,
} from "@inkwell/shared";
import { and, asc, count, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { jobs, nodes } from "../db/schema/index.ts";
import type { AppConfig } from "../env.ts";

type NodeRow = typeof nodes.$inferSelect;
type ModelTask = NodeRow["models"][number]["task"];

/** What the scheduler needs to know about a node. */
export interface NodeCandidate {
  id: string;
  url: string;
  models: NodeRow["models"];
  load: NodeLoad | null;
  /** Jobs handed to it that have not answered yet (from the jobs table, so exact even mid-burst). */
  running: number;
}

const isUniqueViolation = (err: unknown): boolean => {
  const code = (err as { code?: unknown; cause?: { code?: unknown } }) ?? {};
  return code.code === "23505" || code.cause?.code === "23505";
};

/** healthy | draining | offline, from the stored flags and how fresh the last heartbeat is. */
export function nodeStatus(
  node: Pick<NodeRow, "draining" | "status" | "lastHeartbeatAt" | "unreachableSince">,
  now: Date,
  ttlSeconds: number,
): NodeStatus {
  if (node.draining || node.status === "draining") return "draining";
  const fresh =
    node.lastHeartbeatAt !== null && now.getTime() - node.lastHeartbeatAt.getTime() < ttlSeconds * 1000;
  const unreachable =
    node.unreachableSince !== null && (node.lastHeartbeatAt ?? new Date(0)) <= node.unreachableSince;
  return fresh && !unreachable ? "healthy" : "offline";
}

/**
 * Registers a node. The token is derived from NODE_TOKEN_SECRET and a fresh salt, shown once, and stored
 * only as its SHA-256 (what the heartbeat route looks up) plus the salt (to re-derive it for signing).
 */
/**
 * The URL entry text and chat prompts are delivered to: absolute, without a trailing slash, and https
 * outside development and tests, so nothing on the path can read or reroute them.
 */
export function nodeUrl(url: string, environment: AppConfig["ENVIRONMENT"]): string {
  if (environment === "production" && new URL(url).protocol !== "https:") {
    throw new InkwellError("VALIDATION_FAILED", "The request did not match the schema.", {
      errors: [{ path: "url", message: "must be an https URL in production" }],
    });
  }
  return url.replace(/\/+$/, "");
}

/**
 * An administrator moves a node to a new URL (the only way its URL changes). Answers the URL it had, so
 * the caller can log the move once it is committed.
 */
export async function updateNodeUrl(
  db: Database | Tx,
  nodeId: string,
  input: UpdateNodeRequest,
  environment: AppConfig["ENVIRONMENT"],
): Promise<{ from: string; to: string }> {
  const url = nodeUrl(input.url, environment);
  const [before] = await db
    .select({ url: nodes.url })
    .from(nodes)
    .where(eq(nodes.id, nodeId))
    .for("update")
    .limit(1);
  if (!before) throw new InkwellError("NOT_FOUND", "No node with that id.");
  await db.update(nodes).set({ url, reportedUrl: null, updatedAt: new Date() }).where(eq(nodes.id, nodeId));
  return { from: before.url, to: url };
}

export async function registerNode(
  db: Database | Tx,
  secret: string,
  input: CreateNodeRequest,
  environment: AppConfig["ENVIRONMENT"],
): Promise<CreatedNode> {
  const url = nodeUrl(input.url, environment);
  const id = uuidv7();
  const salt = nodeTokenSalt();
  const token = await deriveNodeToken(secret, id, salt);
  try {
    await db.insert(nodes).values({
      id,
      name: input.name,
      url,
      tokenHash: await hashToken(token),
      tokenSalt: salt,
      status: "offline",
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new InkwellError("CONFLICT", `A node named ${input.name} already exists.`);
    throw err;
  }
  return { id, name: input.name, url, token };
}

function hardwareSummary(hardware: Hardware | null): AdminNode["hardware"] {
  if (!hardware) return null;
  const gpu = hardware.cuda.gpus[0];
  return {
    cuda: hardware.cuda.available,
    gpuName: gpu?.name ?? null,
    memoryMiB: gpu?.memoryMiB ?? hardware.memory.totalMiB,
    device: hardware.device,
    cpuCores: hardware.cpu.cores,
  };
}

async function runningJobsByNode(db: Database, nodeIds: string[]): Promise<Map<string, number>> {
  if (nodeIds.length === 0) return new Map();
  const rows = await db
    .select({ nodeId: jobs.nodeId, n: count() })
    .from(jobs)
    .where(and(eq(jobs.status, "running"), inArray(jobs.nodeId, nodeIds)))
    .groupBy(jobs.nodeId);
  return new Map(rows.flatMap((r) => (r.nodeId ? [[r.nodeId, Number(r.n)] as const] : [])));
}

/** Where a page of nodes starts: after the node with this name and id. */
export type NodePosition = [name: string, id: string];

/** A page of nodes by name; `last` is the position to continue after, or null on the last page. */
export async function listNodes(
  db: Database,
  ttlSeconds: number,
  page: { limit: number; after?: NodePosition | undefined },
): Promise<{ items: AdminNode[]; last: NodePosition | null }> {
  const fetched = await db
    .select()
    .from(nodes)
    .where(
      page.after ? sql`(${nodes.name}, ${nodes.id}) > (${page.after[0]}, ${page.after[1]}::uuid)` : undefined,
    )
    .orderBy(asc(nodes.name), asc(nodes.id))
    .limit(page.limit + 1);
  const rows = fetched.slice(0, page.limit);
  const lastRow = rows.at(-1);
  const last: NodePosition | null =
    fetched.length > page.limit && lastRow ? [lastRow.name, lastRow.id] : null;
  const running = await runningJobsByNode(
    db,
    rows.map((r) => r.id),
  );
  const now = new Date();
  const items = rows.map((row) => ({
    id: row.id,
    name: row.name,
    url: row.url,
    status: nodeStatus(row, now, ttlSeconds),
    draining: row.draining,
    version: row.version,
    lastHeartbeatAt: row.lastHeartbeatAt?.toISOString() ?? null,
    hardware: hardwareSummary(row.hardware),
    models: row.models,
    load: row.load,
    runningJobs: running.get(row.id) ?? 0,
    reportedUrl: row.reportedUrl,
    createdAt: row.createdAt.toISOString(),
  }));
  return { items, last };
}

/** Stops new work reaching the node; what it already has finishes and its results are accepted. */
export async function setDraining(db: Database | Tx, nodeId: string, draining: boolean): Promise<void> {
  const updated = await db
    .update(nodes)
    .set({ draining, updatedAt: new Date() })
    .where(eq(nodes.id, nodeId))
    .returning({ id: nodes.id });
  if (updated.length === 0) throw new InkwellError("NOT_FOUND", "No node with that id.");
}

/** Its token stops working at once; jobs in flight keep running and are re-dispatched if they fail. */
export async function removeNode(db: Database | Tx, nodeId: string): Promise<void> {
  const deleted = await db.delete(nodes).where(eq(nodes.id, nodeId)).returning({ id: nodes.id });
  if (deleted.length === 0) throw new InkwellError("NOT_FOUND", "No node with that id.");
}

/** Healthy nodes that serve every task in `tasks`, each with its count of unanswered jobs. */
export async function schedulableNodes(
  db: Database,
  ttlSeconds: number,
  tasks: readonly ModelTask[],
): Promise<NodeCandidate[]> {
  const freshSince = new Date(Date.now() - ttlSeconds * 1000);
  const rows = await db
    .select({
      id: nodes.id,
      url: nodes.url,
      models: nodes.models,
      load: nodes.load,
    })
    .from(nodes)
    .where(
      and(
        eq(nodes.draining, false),
        eq(nodes.status, "healthy"),
        isNotNull(nodes.lastHeartbeatAt),
        sql`${nodes.lastHeartbeatAt} > ${freshSince.toISOString()}::timestamptz`,
        sql`(${nodes.unreachableSince} is null or ${nodes.unreachableSince} < ${nodes.lastHeartbeatAt})`,
      ),
    );
  const serving = rows.filter((row) => tasks.every((task) => row.models.some((m) => m.task === task)));
  const running = await runningJobsByNode(
    db,
    serving.map((r) => r.id),
  );
  return serving.map((row) => ({ ...row, running: running.get(row.id) ?? 0 }));
}

/**
 * The least loaded node: what this edge has handed it and not heard back about, plus what it reported
 * queued (interactive work included), relative to its capacity. Ties are broken at random so concurrent
 * dispatchers reading the same counts still spread out. `avoid` (the node a job just failed on) is used
 * only when no other node is left.
 */
export function pickNode(
  candidates: readonly NodeCandidate[],
  options: { avoid?: string | null; random?: () => number } = {},
): NodeCandidate | undefined {
  const others = candidates.filter((c) => c.id !== options.avoid);
  const pool = others.length > 0 ? others : candidates;
  const random = options.random ?? Math.random;
  const score = (c: NodeCandidate) =>
    (c.running + (c.load?.queueDepth ?? 0) + (c.load?.running ?? 0)) / Math.max(1, c.load?.capacity ?? 1);
  let best: NodeCandidate[] = [];
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of pool) {
    const s = score(candidate);
    if (s < bestScore - 1e-12) {
      best = [candidate];
      bestScore = s;
    } else if (Math.abs(s - bestScore) <= 1e-12) {
      best.push(candidate);
    }
  }
  return best[Math.floor(random() * best.length)];
}

/** QStash could not reach the node: keep work away from it until it heartbeats again. */
export async function markUnreachable(db: Database, nodeId: string): Promise<void> {
  await db
    .update(nodes)
    .set({ unreachableSince: new Date() })
    .where(and(eq(nodes.id, nodeId), sql`${nodes.unreachableSince} is null`));
}

/** The node's token, re-derived for signing; undefined for nodes registered without a salt. */
export async function nodeSigningToken(
  db: Database,
  secret: string,
  nodeId: string,
): Promise<{ url: string; token: string } | undefined> {
  const [row] = await db
    .select({ url: nodes.url, salt: nodes.tokenSalt })
    .from(nodes)
    .where(eq(nodes.id, nodeId))
    .limit(1);
  if (!row?.salt) return undefined;
  return { url: row.url, token: await deriveNodeToken(secret, nodeId, row.salt) };
}
