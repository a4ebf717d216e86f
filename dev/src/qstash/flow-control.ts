import { parseDurationMs } from "./duration.ts";
import type { FlowControlSpec, MessageRecord } from "./model.ts";

/** QStash's default rate period when a publish gives a rate without one. */
const DEFAULT_PERIOD_MS = 1_000;
/** setTimeout's ceiling. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type ParsedFlowControl = { ok: true; spec?: FlowControlSpec } | { ok: false; error: string };

function positiveInt(value: string): number | undefined {
  return /^\d+$/.test(value) && Number(value) > 0 && Number.isSafeInteger(Number(value))
    ? Number(value)
    : undefined;
}

/**
 * `Upstash-Flow-Control-Key` plus `Upstash-Flow-Control-Value`, the latter as the official client writes
 * it: `parallelism=2, rate=10, period=1m` (any subset, at least one of parallelism and rate; a period is a
 * duration or whole seconds). A value without a key limits nothing and is ignored.
 */
export function parseFlowControl(key: string | undefined, value: string | undefined): ParsedFlowControl {
  if (key === undefined) return { ok: true };
  const trimmedKey = key.trim();
  if (trimmedKey.length === 0) return { ok: false, error: "Upstash-Flow-Control-Key must not be empty" };
  if (value === undefined || value.trim().length === 0) {
    return { ok: false, error: "Upstash-Flow-Control-Value is required with Upstash-Flow-Control-Key" };
  }
  let parallelism: number | undefined;
  let rate: number | undefined;
  let periodMs: number | undefined;
  for (const part of value.split(",")) {
    const match = /^\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(part);
    if (!match) return { ok: false, error: `invalid Upstash-Flow-Control-Value part '${part.trim()}'` };
    const name = match[1]!.toLowerCase();
    const raw = match[2]!;
    if (name === "parallelism") {
      parallelism = positiveInt(raw);
      if (parallelism === undefined)
        return { ok: false, error: "flow control parallelism must be a positive integer" };
    } else if (name === "rate" || name === "ratepersecond") {
      rate = positiveInt(raw);
      if (rate === undefined) return { ok: false, error: "flow control rate must be a positive integer" };
    } else if (name === "period") {
      periodMs = parseDurationMs(raw);
      if (periodMs === undefined || periodMs <= 0) return { ok: false, error: "invalid flow control period" };
    } else {
      return { ok: false, error: `unknown flow control setting '${match[1]}'` };
    }
  }
  if (parallelism === undefined && rate === undefined) {
    return { ok: false, error: "flow control needs parallelism or rate" };
  }
  return {
    ok: true,
    spec: {
      key: trimmedKey,
      ...(parallelism !== undefined ? { parallelism } : {}),
      ...(rate !== undefined ? { rate } : {}),
      periodMs: periodMs ?? DEFAULT_PERIOD_MS,
    },
  };
}

/** What `GET /v2/flowControl/:key` reports; zeros where a limit is not set. */
export interface FlowControlInfo {
  flowControlKey: string;
  waitListSize: number;
  parallelismMax: number;
  parallelismCount: number;
  rateMax: number;
  rateCount: number;
  /** Seconds. */
  ratePeriod: number;
  /** Unix seconds of the oldest start counted in the current period (0 when none). */
  ratePeriodStart: number;
  isPaused: boolean;
  isPinnedParallelism: boolean;
  isPinnedRate: boolean;
}

interface Limits {
  parallelism: number;
  rate: number;
  periodMs: number;
}

interface KeyState {
  /** Due messages waiting for a slot, oldest due first. */
  waiting: MessageRecord[];
  /** Attempts on the wire, with the settings of the message each belongs to. */
  active: Map<string, FlowControlSpec>;
  /** Start times (ms) of recent attempts, oldest first, kept as long as the longest period seen. */
  starts: number[];
  longestPeriodMs: number;
  timer?: NodeJS.Timeout;
}

export interface FlowGateOptions {
  /** Makes one attempt; the key's slot is held until the returned promise settles. */
  launch(messageId: string): Promise<void>;
  /** Whether a waiting record may still be delivered (not cancelled or finished meanwhile). */
  isDeliverable(messageId: string): boolean;
  now?: () => number;
}

/**
 * Holds due messages of a flow-control key until both of its limits allow another delivery: fewer than
 * `parallelism` attempts on the wire, and fewer than `rate` attempts started within the last `period`
 * (a sliding window, so no period-long span ever sees more than `rate` starts). Keys are independent.
 * When messages of one key carry different settings, the most permissive of those outstanding applies,
 * as QStash documents. Only due messages are held here; their durable state stays CREATED/RETRY, so after
 * a restart they are simply due again and queue up anew (the rate window starts afresh).
 */
export class FlowGate {
  private readonly keys = new Map<string, KeyState>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: FlowGateOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A due message joins its key's wait list and is started as soon as the limits allow. */
  enqueue(record: MessageRecord, spec: FlowControlSpec): void {
    if (this.closed) return;
    const state = this.stateFor(spec.key);
    state.longestPeriodMs = Math.max(state.longestPeriodMs, spec.periodMs);
    if (!state.waiting.some((r) => r.messageId === record.messageId)) {
      const at = state.waiting.findIndex(
        (r) =>
          r.nextDeliveryAt > record.nextDeliveryAt ||
          (r.nextDeliveryAt === record.nextDeliveryAt && r.createdAt > record.createdAt),
      );
      if (at === -1) state.waiting.push(record);
      else state.waiting.splice(at, 0, record);
    }
    this.drain(spec.key);
  }

  /** Drops a waiting message (cancelled); an attempt already on the wire keeps its slot until it ends. */
  remove(messageId: string, key: string): void {
    const state = this.keys.get(key);
    if (!state) return;
    state.waiting = state.waiting.filter((r) => r.messageId !== messageId);
    this.forgetIfIdle(key, state);
  }

  info(key: string): FlowControlInfo {
    const state = this.keys.get(key);
    const now = this.now();
    const limits = state ? this.limitsOf(state) : undefined;
    const periodMs = limits && Number.isFinite(limits.rate) ? limits.periodMs : DEFAULT_PERIOD_MS;
    const recent = state ? state.starts.filter((t) => t > now - periodMs) : [];
    return {
      flowControlKey: key,
      waitListSize: state?.waiting.length ?? 0,
      parallelismMax: limits && Number.isFinite(limits.parallelism) ? limits.parallelism : 0,
      parallelismCount: state?.active.size ?? 0,
      rateMax: limits && Number.isFinite(limits.rate) ? limits.rate : 0,
      rateCount: recent.length,
      ratePeriod: Math.round(periodMs / 1_000),
      ratePeriodStart: recent.length > 0 ? Math.floor(recent[0]! / 1_000) : 0,
      isPaused: false,
      isPinnedParallelism: false,
      isPinnedRate: false,
    };
  }

  /** Stops starting attempts; waiting messages stay pending on disk for the next start. */
  close(): void {
    this.closed = true;
    for (const state of this.keys.values()) if (state.timer) clearTimeout(state.timer);
    this.keys.clear();
  }

  private stateFor(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = { waiting: [], active: new Map(), starts: [], longestPeriodMs: DEFAULT_PERIOD_MS };
      this.keys.set(key, state);
    }
    return state;
  }

  /** The most permissive settings among the key's outstanding messages (waiting or on the wire). */
  private limitsOf(state: KeyState): Limits {
    const specs = [...state.active.values(), ...state.waiting.map((r) => r.flowControl)].filter(
      (s): s is FlowControlSpec => s !== undefined,
    );
    let parallelism = 0;
    let rate = 0;
    let periodMs = DEFAULT_PERIOD_MS;
    for (const spec of specs) {
      parallelism = Math.max(parallelism, spec.parallelism ?? Number.POSITIVE_INFINITY);
      const specRate = spec.rate ?? Number.POSITIVE_INFINITY;
      // Compare rates per millisecond so `10 per 1m` and `1 per 1s` rank correctly.
      if (rate === 0 || specRate / spec.periodMs > rate / periodMs) {
        rate = specRate;
        periodMs = spec.periodMs;
      }
    }
    return {
      parallelism: parallelism || Number.POSITIVE_INFINITY,
      rate: rate || Number.POSITIVE_INFINITY,
      periodMs,
    };
  }

  private drain(key: string): void {
    const state = this.keys.get(key);
    if (!state || this.closed) return;
    while (state.waiting.length > 0) {
      const head = state.waiting[0]!;
      if (!this.opts.isDeliverable(head.messageId)) {
        state.waiting.shift();
        continue;
      }
      const limits = this.limitsOf(state);
      if (state.active.size >= limits.parallelism) break;
      const now = this.now();
      state.starts = state.starts.filter((t) => t > now - state.longestPeriodMs);
      if (Number.isFinite(limits.rate)) {
        const inWindow = state.starts.filter((t) => t > now - limits.periodMs);
        if (inWindow.length >= limits.rate) {
          // The start that must age out of the window before another may begin.
          const freesAt = inWindow[inWindow.length - limits.rate]! + limits.periodMs;
          this.armTimer(key, state, freesAt - now);
          break;
        }
      }
      state.waiting.shift();
      const spec = head.flowControl;
      if (!spec) continue;
      state.active.set(head.messageId, spec);
      state.starts.push(now);
      const release = () => {
        state.active.delete(head.messageId);
        this.drain(key);
        this.forgetIfIdle(key, state);
      };
      this.opts.launch(head.messageId).then(release, release);
    }
    this.forgetIfIdle(key, state);
  }

  private armTimer(key: string, state: KeyState, waitMs: number): void {
    if (state.timer) clearTimeout(state.timer);
    // +1: a window boundary is exclusive, and timers may fire a hair early.
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        this.drain(key);
      },
      Math.min(MAX_TIMER_MS, Math.max(1, waitMs + 1)),
    );
  }

  /** A key with nothing waiting, nothing on the wire and no start still inside a period is forgotten. */
  private forgetIfIdle(key: string, state: KeyState): void {
    if (state.waiting.length > 0 || state.active.size > 0 || state.timer) return;
    const now = this.now();
    if (state.starts.some((t) => t > now - state.longestPeriodMs)) return;
    if (this.keys.get(key) === state) this.keys.delete(key);
  }
}
