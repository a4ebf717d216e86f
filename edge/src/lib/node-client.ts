import {
  EDGE_SIGNATURE_HEADER,
  type EmbedResponse,
  embedResponseSchema,
  InkwellError,
  type ModelTask,
  signEdgeRequest,
} from "@inkwell/shared";
import type { z } from "zod";
import type { Database } from "../db/client.ts";
import type { AppConfig } from "../env.ts";
import { type NodeCandidate, nodeSigningToken, pickNode, schedulableNodes } from "../services/nodes.ts";

/**
 * Per-node circuit breaker: after `threshold` consecutive failures a node is skipped for `coolDownMs`,
 * then one trial call decides (success closes it, failure opens it again). Per isolate, in memory: an
 * interactive call must not pay a Redis round trip to learn what this isolate saw a second ago, and the
 * heartbeat-based health in Postgres already shares the slow signal across isolates.
 */
export class CircuitBreaker {
  private readonly state = new Map<string, { failures: number; openUntil: number; trial: boolean }>();

  constructor(
    private readonly threshold = 3,
    private readonly coolDownMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call to this node may go out now (a half-open node lets exactly one through). */
  allow(nodeId: string): boolean {
    const s = this.state.get(nodeId);
    if (!s || s.failures < this.threshold) return true;
    if (this.now() < s.openUntil || s.trial) return false;
    s.trial = true;
    return true;
  }

  success(nodeId: string): void {
    this.state.delete(nodeId);
  }

  failure(nodeId: string): void {
    const s = this.state.get(nodeId) ?? { failures: 0, openUntil: 0, trial: false };
    s.failures += 1;
    s.trial = false;
    if (s.failures >= this.threshold) s.openUntil = this.now() + this.coolDownMs;
    this.state.set(nodeId, s);
  }

  isOpen(nodeId: string): boolean {
    const s = this.state.get(nodeId);
    return s !== undefined && s.failures >= this.threshold && this.now() < s.openUntil;
  }
}

/** One breaker per isolate: module state is the only thing that outlives a request in a Worker. */
export const nodeBreaker = new CircuitBreaker();

export interface NodeClientDeps {
  db: Database;
  config: Pick<AppConfig, "NODE_TOKEN_SECRET" | "NODE_HEARTBEAT_TTL_SECONDS">;
  fetch?: typeof fetch;
  breaker?: CircuitBreaker;
  requestId?: string;
}

export interface NodeCall<S extends z.ZodType> {
  method?: "POST" | "GET";
  /** Path and query on the node, e.g. `/v1/embed`. */
  path: string;
  body?: unknown;
  schema: S;
  /** Models the node must serve. */
  tasks: readonly ModelTask[];
  timeoutMs?: number;
  /** Nodes to try before giving up (each failure moves on to the next least loaded one). */
  maxNodes?: number;
}

/**
 * Calls an interactive node endpoint, signed for that node (`Inkwell-Signature`, keyed by the token the
 * edge re-derives from NODE_TOKEN_SECRET), with a timeout, failing over to the next healthy node and
 * skipping nodes whose circuit is open. Errors are the edge's own codes: NO_INFERENCE_NODE when no node
 * can take the call, UPSTREAM_TIMEOUT / UPSTREAM_UNAVAILABLE when the ones tried failed.
 */
export async function callNode<S extends z.ZodType>(
  deps: NodeClientDeps,
  call: NodeCall<S>,
): Promise<{ nodeId: string; data: z.infer<S> }> {
  const breaker = deps.breaker ?? nodeBreaker;
  const doFetch = deps.fetch ?? fetch;
  const candidates = await schedulableNodes(deps.db, deps.config.NODE_HEARTBEAT_TTL_SECONDS, call.tasks);
  let pool: NodeCandidate[] = candidates.filter((n) => !breaker.isOpen(n.id));
  const maxNodes = call.maxNodes ?? 2;
  let lastError: InkwellError | undefined;
  for (let tried = 0; tried < maxNodes && pool.length > 0; tried++) {
    const node = pickNode(pool);
    if (!node) break;
    pool = pool.filter((n) => n.id !== node.id);
    if (!breaker.allow(node.id)) continue;
    const signing = await nodeSigningToken(deps.db, deps.config.NODE_TOKEN_SECRET, node.id);
    if (!signing) continue;
    const method = call.method ?? "POST";
    const body = call.body === undefined ? "" : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      [EDGE_SIGNATURE_HEADER]: await signEdgeRequest({
        nodeToken: signing.token,
        method,
        path: call.path,
        body,
      }),
      ...(body ? { "Content-Type": "application/json" } : {}),
      ...(deps.requestId ? { "X-Request-Id": deps.requestId } : {}),
    };
    try {
      const res = await doFetch(`${signing.url}${call.path}`, {
        method,
        headers,
        ...(body ? { body } : {}),
        signal: AbortSignal.timeout(call.timeoutMs ?? 5_000),
      });
      if (!res.ok) {
        await res.body?.cancel();
        // A 4xx is our request's fault, not the node's: it does not count against the node.
        if (res.status >= 500) breaker.failure(node.id);
        lastError = new InkwellError(
          "UPSTREAM_UNAVAILABLE",
          `The inference node answered HTTP ${res.status}.`,
        );
        if (res.status < 500) throw lastError;
        continue;
      }
      const parsed = call.schema.safeParse(await res.json());
      if (!parsed.success) {
        breaker.failure(node.id);
        lastError = new InkwellError("UPSTREAM_UNAVAILABLE", "The inference node sent an unexpected answer.");
        continue;
      }
      breaker.success(node.id);
      return { nodeId: node.id, data: parsed.data };
    } catch (err) {
      if (err instanceof InkwellError) throw err;
      breaker.failure(node.id);
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      lastError = timedOut
        ? new InkwellError("UPSTREAM_TIMEOUT", "The inference node did not answer in time.")
        : new InkwellError("UPSTREAM_UNAVAILABLE", "The inference node could not be reached.");
    }
  }
  throw (
    lastError ?? new InkwellError("NO_INFERENCE_NODE", "No healthy inference node can take this request now.")
  );
}

/** Query embeddings for search: the node batches them with everyone else's. */
export async function embedTexts(
  deps: NodeClientDeps,
  texts: string[],
): Promise<EmbedResponse & { nodeId: string }> {
  const { nodeId, data } = await callNode(deps, {
    path: "/v1/embed",
    body: { texts },
    schema: embedResponseSchema,
    tasks: ["embedding"],
    timeoutMs: 3_000,
  });
  return { ...data, nodeId };
}
