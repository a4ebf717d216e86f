import type { NodeHeartbeat, NodeLoad } from "@inkwell/shared";

/** What the node knows about itself at runtime; shared by the routes and the heartbeat. */
export interface NodeState {
  readonly startedAt: number;
  /** Assigned by the edge in its heartbeat reply; unknown until the first successful beat. */
  nodeId: string | undefined;
  load(): NodeLoad;
  /** The models this node serves, the chat model included: what the heartbeat tells the edge to route. */
  models(): NodeHeartbeat["models"];
  uptimeSeconds(): number;
}

/**
 * `load` reads the batchers' queues (through the runtime) for the heartbeat; until a runtime is attached
 * the node reports an idle queue of one.
 */
export function createNodeState(now: () => number = Date.now, load?: () => NodeLoad): NodeState {
  const startedAt = now();
  return {
    startedAt,
    nodeId: undefined,
    load: load ?? (() => ({ queueDepth: 0, running: 0, capacity: 1 })),
    models: () => [],
    uptimeSeconds: () => Math.floor((now() - startedAt) / 1000),
  };
}
