import type { Hardware, NodeHeartbeat } from "@inkwell/shared";
import type { nodes } from "../db/schema/index.ts";

type NodeRow = typeof nodes.$inferSelect;

/** What the heartbeat route reads of a node before deciding whether this beat is worth a write. */
export type StoredNode = Pick<
  NodeRow,
  | "status"
  | "draining"
  | "lastHeartbeatAt"
  | "unreachableSince"
  | "version"
  | "url"
  | "reportedUrl"
  | "hardware"
  | "models"
  | "load"
>;

/**
 * How often the edge asks a node to beat: a sixth of NODE_HEARTBEAT_TTL_SECONDS (5 s at the default 30),
 * so a node that misses a beat or two, or beats late by its jitter, stays healthy. Lengthening the TTL
 * lengthens the interval: fewer requests per node, at the price of routing to a dead node for longer.
 */
export function heartbeatIntervalSeconds(ttlSeconds: number): number {
  return Math.max(1, Math.floor(ttlSeconds / 6));
}

/**
 * A beat that changes nothing is not written unless the stored last beat is this old. The scheduler reads
 * freshness from Postgres, so the stored beat may lag the real one by up to this plus one interval (with
 * jitter): a third of the TTL plus a sixth, about half of it, so a live node never looks stale.
 */
export function heartbeatRefreshSeconds(ttlSeconds: number): number {
  return ttlSeconds / 3;
}

/** JSON with object keys in one order: jsonb comes back with its keys reordered. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Free memory moves on every beat; it is refreshed with the periodic write, not worth one of its own. */
function stableHardware(hardware: Hardware | null): unknown {
  return hardware === null ? null : { ...hardware, memory: { ...hardware.memory, freeMiB: 0 } };
}

/** The reported URL as the route stores it: null when the node reports none or the registered one. */
export function reportedUrlOf(beat: NodeHeartbeat, registeredUrl: string): string | null {
  const reported = beat.url ? beat.url.replace(/\/+$/, "") : null;
  return reported === null || reported === registeredUrl ? null : reported;
}

/**
 * Whether a beat must be written to Postgres: the node's state changes (it comes back, starts or stops
 * draining, was found unreachable), something it reports changes (version, models, load, hardware, URL),
 * or the stored beat is getting old. An idle node's beats in between cost one indexed read and no write.
 */
export function heartbeatNeedsWrite(
  stored: StoredNode,
  beat: NodeHeartbeat,
  now: Date,
  ttlSeconds: number,
): boolean {
  const expectedStatus = stored.draining || beat.draining ? "draining" : "healthy";
  if (stored.status !== expectedStatus || stored.unreachableSince !== null) return true;
  if (stored.lastHeartbeatAt === null) return true;
  const ageMs = now.getTime() - stored.lastHeartbeatAt.getTime();
  if (ageMs < 0 || ageMs >= heartbeatRefreshSeconds(ttlSeconds) * 1000) return true;
  if (reportedUrlOf(beat, stored.url) !== stored.reportedUrl) return true;
  return (
    stored.version !== beat.version ||
    canonical(stored.models) !== canonical(beat.models) ||
    canonical(stored.load) !== canonical(beat.load) ||
    canonical(stableHardware(stored.hardware)) !== canonical(stableHardware(beat.hardware))
  );
}
