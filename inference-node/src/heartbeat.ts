import {
  type Hardware,
  type NodeHeartbeat,
  type NodeHeartbeatReply,
  nodeHeartbeatReplySchema,
  type nodeModelSchema,
} from "@inkwell/shared";
import type { z } from "zod";
import type { NodeState } from "./node-state.ts";

type NodeModel = z.infer<typeof nodeModelSchema>;

export interface HeartbeatLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface HeartbeatOptions {
  edgeUrl: string;
  token: string;
  intervalMs: number;
  version: string;
  publicUrl: string;
  /** Called per beat so free memory is current. */
  hardware: () => Hardware;
  models?: () => NodeModel[];
  state: NodeState;
  log: HeartbeatLogger;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
  maxBackoffMs?: number;
  /** Tell the edge we are going away on stop(), so it stops routing jobs here before the node vanishes. */
  drainOnStop?: boolean;
}

export type BeatOutcome =
  | { ok: true; status: number; reply: NodeHeartbeatReply | undefined }
  | { ok: false; status?: number; error?: string };

export interface Heartbeat {
  /** Resolves when the next beat (the first one, right after start) has completed, successfully or not. */
  nextBeat(): Promise<BeatOutcome>;
  stop(): Promise<void>;
}

/** A misbehaving edge must not be able to silence a node for longer than this. */
const MAX_EDGE_INTERVAL_MS = 10 * 60 * 1000;

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  // undici hides the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`; messages never carry headers.
  const cause = error.cause as { code?: unknown } | undefined;
  if (typeof cause?.code === "string") return cause.code;
  return error.name === "TimeoutError" || error.name === "AbortError" ? error.name : error.message;
}

/** Posts the node's hardware and load to the edge on a loop; never throws, it logs and backs off. */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const endpoint = `${options.edgeUrl.replace(/\/+$/, "")}/internal/nodes/heartbeat`;
  const fetchFn = options.fetch ?? fetch;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const { log } = options;

  const stopController = new AbortController();
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let waiters: ((outcome: BeatOutcome) => void)[] = [];

  async function send(draining: boolean, signal: AbortSignal): Promise<BeatOutcome> {
    const body: NodeHeartbeat = {
      version: options.version,
      url: options.publicUrl,
      hardware: options.hardware(),
      models: options.models?.() ?? [],
      load: options.state.load(),
      draining,
    };
    try {
      const response = await fetchFn(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return { ok: false, status: response.status };
      }
      const reply = nodeHeartbeatReplySchema.safeParse(await response.json().catch(() => undefined));
      if (!reply.success) log.warn({ status: response.status }, "edge sent an unexpected heartbeat reply");
      return { ok: true, status: response.status, reply: reply.success ? reply.data : undefined };
    } catch (error) {
      return { ok: false, error: describeNetworkError(error) };
    }
  }

  function delayAfter(outcome: BeatOutcome): number {
    if (outcome.ok) {
      // The edge sets the pace (it may lengthen the interval to spare requests); ±10% keeps nodes started
      // together, or restarted by one deploy, from beating in lockstep.
      const asked = outcome.reply ? outcome.reply.nextHeartbeatInSeconds * 1000 : options.intervalMs;
      return Math.round(Math.min(asked, MAX_EDGE_INTERVAL_MS) * (0.9 + Math.random() * 0.2));
    }
    const backoff = Math.min(options.intervalMs * 2 ** Math.min(failures, 16), maxBackoffMs);
    // Jitter keeps a fleet of nodes from hammering an edge that is coming back up in lockstep.
    return Math.round(backoff * (0.8 + Math.random() * 0.4));
  }

  async function beatAndSchedule(): Promise<void> {
    const outcome = await send(false, stopController.signal);
    if (outcome.ok) {
      if (failures > 0) log.info({ failures }, "heartbeat recovered");
      failures = 0;
      if (outcome.reply) options.state.nodeId = outcome.reply.nodeId;
    } else if (!stopped) {
      failures += 1;
      // Status or network error code only: the request carries NODE_TOKEN, so nothing else is logged.
      const fields = { status: outcome.status, error: outcome.error, failures };
      if (outcome.status === 401 || outcome.status === 403) {
        log.error(fields, "edge rejected the heartbeat: check NODE_TOKEN");
      } else {
        log.warn(fields, "heartbeat failed; backing off");
      }
    }
    const current = waiters;
    waiters = [];
    for (const resolve of current) resolve(outcome);
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = beatAndSchedule();
    }, delayAfter(outcome));
    // The heartbeat alone must never keep the process alive.
    timer.unref();
  }

  log.info({ edge: new URL(endpoint).origin, intervalMs: options.intervalMs }, "heartbeat started");
  inFlight = beatAndSchedule();

  return {
    nextBeat() {
      if (stopped) return Promise.resolve({ ok: false, error: "stopped" });
      return new Promise((resolve) => waiters.push(resolve));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      stopController.abort();
      await inFlight;
      const current = waiters;
      waiters = [];
      for (const resolve of current) resolve({ ok: false, error: "stopped" });
      if (options.drainOnStop ?? true) {
        // Short: shutdown must not hang on an unreachable edge.
        const outcome = await send(true, AbortSignal.timeout(Math.min(requestTimeoutMs, 2000)));
        if (!outcome.ok) log.warn({ status: outcome.status, error: outcome.error }, "final heartbeat failed");
      }
    },
  };
}
