import { seededRandom } from "@inkwell/models/seeded-random";
import postgres from "postgres";
import { freePort } from "../lib/ports.ts";
import type { RunningNode, Stack } from "../stack.ts";
import { RequestLog } from "./careful-client.ts";
import {
  type FaultKind,
  type FaultTarget,
  faultSchedule,
  type InjectedFault,
  injectFault,
} from "./faults.ts";
import { checkInvariants, type InvariantResult } from "./invariants.ts";
import { type LoadShared, Writer } from "./load.ts";
import { type NodeLink, startNodeLink } from "./node-proxy.ts";
import {
  memoryOf,
  perMinute,
  type Recovery,
  type RouteWindow,
  recoveryTimes,
  statusCounts,
} from "./report.ts";

/** Worker vars a campaign's stack runs with: nodes drop out of scheduling quickly; load is not throttled. */
export const CHAOS_EDGE_VARS = {
  NODE_HEARTBEAT_TTL_SECONDS: "8",
  RATE_LIMIT_USER_PER_MINUTE: "100000",
  RATE_LIMIT_IP_PER_MINUTE: "100000",
};
export const CHAOS_HEARTBEAT_TTL_SECONDS = 8;
/** The node beats more often than the TTL needs, so a restarted one is scheduled again within a second. */
export const CHAOS_NODE_ENV = { HEARTBEAT_INTERVAL_MS: "1000" };

/** The campaign's node, registered behind a link the garbage and slow faults act on. */
export interface ChaosNode {
  node: RunningNode;
  link: NodeLink;
}

/** Starts the campaign's node behind its link; the caller closes the link after the stack. */
export async function startChaosNode(stack: Stack, name = "chaos"): Promise<ChaosNode> {
  let direct = "";
  const link = await startNodeLink(() => direct);
  try {
    const [port, adminPort] = [await freePort(), await freePort()];
    direct = `http://127.0.0.1:${port}`;
    const node = await stack.startNode(name, CHAOS_NODE_ENV, { port, adminPort, publicUrl: link.url });
    return { node, link };
  } catch (err) {
    await link.close();
    throw err;
  }
}

export interface CampaignOptions {
  entries: number;
  writers: number;
  seed: number;
  /** Keep the load going at least this long (the faults are spread over it); none: until the entries are written. */
  durationMs?: number;
  faults: readonly FaultKind[];
  /** How many times each kind is injected. */
  repeats: number;
  /** How long the system may take to settle once the load stops. */
  settleTimeoutMs: number;
  /** How long a writer retries one operation before giving up on it. */
  patienceMs?: number;
  say: (message: string) => void;
}

export interface CampaignReport {
  at: string;
  seed: number;
  options: {
    entries: number;
    writers: number;
    durationMs: number | null;
    repeats: number;
    faults: FaultKind[];
  };
  loadMs: number;
  settleMs: number;
  /** Times `wrangler dev` exited on its own (its local Hyperdrive, when Postgres cut its connections) and was started again. */
  edgeRevivals: number;
  entries: { acknowledged: number; deleted: number; unacknowledgedCreates: number; retriedCreates: number };
  requests: number;
  byStatus: Record<string, number>;
  faults: InjectedFault[];
  recovery: Recovery[];
  invariants: InvariantResult[];
  ok: boolean;
}

/** The every-minute cron's stand-in (wrangler dev runs crons only when asked): the sweep, compressed. */
async function fireCron(edgeUrl: string): Promise<void> {
  try {
    const res = await fetch(`${edgeUrl}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, {
      signal: AbortSignal.timeout(20_000),
    });
    await res.body?.cancel();
  } catch {
    // The edge may be restarting; the next tick tries again.
  }
}

function startClock(edgeUrl: string, everyMs: number): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await fireCron(edgeUrl);
      // The cron's period, compressed: a clock, not a wait for anything.
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Runs one thing at a time: a fault, or bringing back an edge that exited. */
function serialiser() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work);
    tail = run.catch(() => {});
    return run;
  };
}

/**
 * wrangler dev's local Hyperdrive proxy exits when Postgres cuts its connections (a write after the
 * server's FIN, a refused connect); a deployed Worker's Hyperdrive does not. Between faults this brings
 * such an edge back, as a platform restarts a crashed isolate, and counts it in the report.
 */
function watchEdge(stack: Stack, exclusive: ReturnType<typeof serialiser>, say: (m: string) => void) {
  let running = true;
  let revived = 0;
  const loop = (async () => {
    while (running) {
      await exclusive(async () => {
        if (running && stack.pids().edge === undefined) {
          say("  the edge (wrangler dev) exited on its own; starting it again");
          await stack.restartEdge();
          revived++;
        }
      }).catch((err) => say(`  could not start the edge again: ${String(err)}`));
      // A watchdog's period, not a wait for anything.
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    revived: () => revived,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * An analysis that failed for a transient cause is queued again by the sweep after a pause, until it has
 * had this many attempts in all (MAX_TOTAL_ATTEMPTS in the edge's job-dispatch.ts).
 */
const SWEEP_RETRIES_UNTIL_ATTEMPTS = 9;

/**
 * Polls until no job is queued or running and no failed analysis waits for the sweep to retry it, firing
 * the sweep in between, and a sweep fired then leaves it so (the minute cron also queues work of its
 * own, such as restoring vectors an analysis could not index); false at the deadline.
 */
async function settle(
  sql: ReturnType<typeof postgres>,
  edgeUrl: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quiet = false;
  for (;;) {
    try {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from jobs
        where status in ('queued', 'running')
          or (status = 'failed' and kind = 'analyze-entry' and result->>'failure' = 'transient'
              and attempts < ${SWEEP_RETRIES_UNTIL_ATTEMPTS})`;
      if (row?.n === 0 && quiet) return true;
      quiet = row?.n === 0;
    } catch {
      // Postgres may still be coming back.
      quiet = false;
    }
    if (Date.now() > deadline) return false;
    await fireCron(edgeUrl);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Starts writers that share one budget and one request log. */
function startLoad(
  edgeUrl: string,
  options: { writers: number; entries: number; seed: number; patienceMs: number; mix: LoadShared["mix"] },
  stopping: () => boolean,
) {
  const log = new RequestLog();
  let claimed = 0;
  const shared: LoadShared = {
    edgeUrl,
    log,
    random: seededRandom(options.seed),
    patienceMs: options.patienceMs,
    claimCreate: () => {
      if (stopping() || claimed >= options.entries) return false;
      claimed++;
      return true;
    },
    stopping,
    mix: options.mix,
  };
  const writers = Array.from({ length: options.writers }, (_, i) => new Writer(shared, i + 1));
  return { log, writers, claimed: () => claimed };
}

/**
 * The fault campaign against a running stack and its node: careful writers write through the edge while
 * faults are injected one after another at seeded points of the load; then the system settles and the
 * invariants are checked from outside and in SQL.
 */
export async function runCampaign(
  stack: Stack,
  { node, link }: ChaosNode,
  options: CampaignOptions,
): Promise<CampaignReport> {
  const { say } = options;
  const sql = postgres(stack.databaseUrl, { max: 4, onnotice: () => {} });
  const target: FaultTarget = {
    stack,
    sql,
    node,
    link,
    nodeEnv: CHAOS_NODE_ENV,
    heartbeatTtlSeconds: CHAOS_HEARTBEAT_TTL_SECONDS,
  };
  const random = seededRandom(options.seed ^ 0x5eed);
  const schedule = faultSchedule(options.faults, options.repeats, random);
  let faultsDone = false;
  let stop = false;
  const started = Date.now();
  const load = startLoad(
    stack.edgeUrl,
    {
      writers: options.writers,
      entries: options.entries,
      seed: options.seed,
      patienceMs: options.patienceMs ?? 90_000,
      mix: { create: 5, edit: 3, remove: 1, search: 1.5, read: 0.5, chat: 0.5 },
    },
    () => stop,
  );
  const clock = startClock(stack.edgeUrl, 3_000);
  const exclusive = serialiser();
  const watchdog = watchEdge(stack, exclusive, say);
  const injected: InjectedFault[] = [];
  try {
    await Promise.all(load.writers.map((w) => w.signUp()));
    say(`${options.writers} writers signed up; load and ${schedule.length} faults start`);
    const loadStart = Date.now();
    const progress = () =>
      Math.max(
        load.claimed() / options.entries,
        options.durationMs ? (Date.now() - loadStart) / options.durationMs : 0,
      );
    const running = load.writers.map((w) => w.run());
    const faults = (async () => {
      for (const planned of schedule) {
        // Waits on the load's own progress (entries written, time spent), which the writers advance.
        while (progress() < planned.at) await new Promise((r) => setTimeout(r, 100));
        say(`fault: ${planned.kind} at ${Math.round(progress() * 100)} % of the load`);
        const fault = await exclusive(() => injectFault(planned.kind, target));
        injected.push(fault);
        say(`  ${planned.kind}: back after ${fault.restoredAt - fault.at} ms`);
      }
      faultsDone = true;
    })();
    try {
      await faults;
    } catch (err) {
      stop = true;
      await Promise.allSettled(running);
      throw err;
    }
    // The load stops once the entries are written, the time is spent and every fault was injected.
    while (!(faultsDone && progress() >= 1)) await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(running);
    const loadMs = Date.now() - started;
    say(`load stopped after ${Math.round(loadMs / 1000)} s: ${load.log.records.length} requests; settling`);

    const settleStart = Date.now();
    const settled = await settle(sql, stack.edgeUrl, options.settleTimeoutMs);
    const settleMs = Date.now() - settleStart;
    say(
      settled
        ? `settled in ${Math.round(settleMs / 1000)} s`
        : `did not settle within ${options.settleTimeoutMs} ms`,
    );

    const analyses = await sql<{ started_at: number; finished_at: number }[]>`
      select (extract(epoch from started_at) * 1000)::float8 as started_at,
        (extract(epoch from finished_at) * 1000)::float8 as finished_at
      from jobs
      where kind = 'analyze-entry' and status = 'done' and started_at is not null and finished_at is not null`;
    const invariants = await checkInvariants({
      sql,
      chromaUrl: stack.chromaUrl,
      writers: load.writers.map((w) => w.state),
      log: load.log,
    });
    invariants.unshift({
      name: "the system settles (no job queued, running or waiting to be retried) after the load",
      ok: settled,
      detail: `${Math.round(settleMs / 1000)} s of at most ${Math.round(options.settleTimeoutMs / 1000)} s`,
    });
    const states = load.writers.map((w) => w.state);
    return {
      at: new Date(started).toISOString(),
      seed: options.seed,
      options: {
        entries: options.entries,
        writers: options.writers,
        durationMs: options.durationMs ?? null,
        repeats: options.repeats,
        faults: [...options.faults],
      },
      loadMs,
      settleMs,
      edgeRevivals: watchdog.revived(),
      entries: {
        acknowledged: states.reduce((n, s) => n + s.entries.size, 0),
        deleted: states.reduce((n, s) => n + [...s.entries.values()].filter((e) => e.deleted).length, 0),
        unacknowledgedCreates: states.reduce((n, s) => n + s.unacknowledgedCreates, 0),
        retriedCreates: states.reduce((n, s) => n + s.retriedCreates, 0),
      },
      requests: load.log.records.length,
      byStatus: statusCounts(load.log.records),
      faults: injected,
      recovery: recoveryTimes(
        injected,
        load.log.records,
        analyses.map((r) => ({ startedAt: Number(r.started_at), finishedAt: Number(r.finished_at) })),
      ),
      invariants,
      ok: invariants.every((i) => i.ok),
    };
  } finally {
    stop = true;
    await watchdog.stop();
    await clock.stop();
    await sql.end({ timeout: 2 });
  }
}

export interface SoakReport {
  at: string;
  seed: number;
  minutes: number;
  writers: number;
  requests: number;
  byStatus: Record<string, number>;
  perMinute: RouteWindow[];
  memoryMiB: { start: Record<string, number | null>; end: Record<string, number | null> };
}

/** A steady mixed load (writes, edits, reads, searches) for a while against one stack, measured per minute. */
export async function runSoak(
  stack: Stack,
  options: { minutes: number; writers: number; seed: number; say: (m: string) => void; windowMs?: number },
): Promise<SoakReport> {
  let stop = false;
  const load = startLoad(
    stack.edgeUrl,
    {
      writers: options.writers,
      entries: Number.MAX_SAFE_INTEGER,
      seed: options.seed,
      patienceMs: 30_000,
      mix: { create: 3, edit: 2, remove: 0.5, search: 2.5, read: 2, chat: 1 },
    },
    () => stop,
  );
  const clock = startClock(stack.edgeUrl, 10_000);
  try {
    await Promise.all(load.writers.map((w) => w.signUp()));
    const start = Date.now();
    const memoryStart = memoryOf(stack.pids());
    options.say(`${options.writers} writers; soaking for ${options.minutes} min`);
    const running = load.writers.map((w) => w.run());
    const durationMs = options.minutes * 60_000;
    const windowMs = options.windowMs ?? 60_000;
    for (let window = 1; Date.now() - start < durationMs; window++) {
      // The soak's length is the point of it: it waits out its own minutes, then reports each.
      await new Promise((r) =>
        setTimeout(r, Math.max(0, Math.min(start + window * windowMs, start + durationMs) - Date.now())),
      );
      const rows = perMinute(load.log.records, start, windowMs).filter((r) => r.minute === window);
      options.say(
        `minute ${window}: ${rows.map((r) => `${r.route} ${r.requests} (p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms)`).join("; ")}`,
      );
    }
    stop = true;
    await Promise.all(running);
    const memoryEnd = memoryOf(stack.pids());
    const records = load.log.records.filter((r) => r.endedAt - start < durationMs);
    return {
      at: new Date(start).toISOString(),
      seed: options.seed,
      minutes: options.minutes,
      writers: options.writers,
      requests: records.length,
      byStatus: statusCounts(records),
      perMinute: perMinute(records, start, windowMs),
      memoryMiB: { start: memoryStart, end: memoryEnd },
    };
  } finally {
    stop = true;
    await clock.stop();
  }
}
