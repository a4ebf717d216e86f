import type { NodeLoad } from "@inkwell/shared";

/** What the node knows about itself at runtime; shared by the routes and the heartbeat. */
export interface NodeState {
  readonly startedAt: number;
  /** Assigned by the edge in its heartbeat reply; unknown until the first successful beat. */
  nodeId: string | undefined;
  load(): NodeLoad;
  uptimeSeconds(): number;
}

export function createNodeState(now: () => number = Date.now): NodeState {
  const startedAt = now();
  return {
    startedAt,
    nodeId: undefined,
    // No job queue yet: a later issue replaces this with the batcher's numbers.
    load: () => ({ queueDepth: 0, running: 0, capacity: 1 }),
    uptimeSeconds: () => Math.floor((now() - startedAt) / 1000),
  };
}
