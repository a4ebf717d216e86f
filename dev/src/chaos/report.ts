import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { percentile } from "../bench/stats.ts";
import { dataRoot, repoRoot } from "../lib/paths.ts";
import type { RequestRecord } from "./careful-client.ts";
import { AFFECTS, type FaultKind, type InjectedFault } from "./faults.ts";

export interface Recovery {
  kind: FaultKind;
  injected: number;
  /** Faults after which the affected kind of work never succeeded again. */
  unrecovered: number;
  p50Ms: number | null;
  maxMs: number | null;
}

const round = (n: number) => Math.round(n);

/**
 * Time to recover per fault kind: from the fault's start to the next success of what it disturbs. For a
 * node, the queue or Chroma that is the next analysis dispatched after the fault began and finished
 * (`analyses`, from the jobs table: a result already on its way when the node died does not count); for
 * Redis, Postgres or the edge it is the next request, sent after the fault began, that succeeded.
 */
export function recoveryTimes(
  faults: InjectedFault[],
  records: RequestRecord[],
  analyses: { startedAt: number; finishedAt: number }[],
): Recovery[] {
  const successes = records
    .filter((r) => typeof r.status === "number" && r.status >= 200 && r.status < 300)
    .sort((a, b) => a.endedAt - b.endedAt);
  const done = [...analyses].sort((a, b) => a.finishedAt - b.finishedAt);
  const kinds = [...new Set(faults.map((f) => f.kind))];
  return kinds.map((kind) => {
    const times: number[] = [];
    let unrecovered = 0;
    for (const fault of faults.filter((f) => f.kind === kind)) {
      const next =
        AFFECTS[kind] === "analysis"
          ? done.find((a) => a.startedAt >= fault.at)?.finishedAt
          : successes.find((r) => r.startedAt >= fault.at)?.endedAt;
      if (next === undefined) unrecovered++;
      else times.push(next - fault.at);
    }
    times.sort((a, b) => a - b);
    return {
      kind,
      injected: faults.filter((f) => f.kind === kind).length,
      unrecovered,
      p50Ms: times.length ? round(percentile(times, 50)) : null,
      maxMs: times.length ? round(times[times.length - 1] as number) : null,
    };
  });
}

/** Answers by status ("network" when none came). */
export function statusCounts(records: RequestRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
  return counts;
}

export interface RouteWindow {
  minute: number;
  route: string;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were neither a success nor rate limiting (429), and requests that got no answer. */
  errors: number;
  rateLimited: number;
}

/**
 * Throughput and latency per route for each whole minute (or `windowMs`) from `start`: every request
 * counts in the window it ended in; only successes count towards latency.
 */
export function perMinute(records: RequestRecord[], start: number, windowMs = 60_000): RouteWindow[] {
  const groups = new Map<string, RequestRecord[]>();
  for (const r of records) {
    const minute = Math.floor((r.endedAt - start) / windowMs);
    if (minute < 0) continue;
    const key = `${minute}\u0000${r.route}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: RouteWindow[] = [];
  for (const [key, group] of groups) {
    const [minute = "0", route = ""] = key.split("\u0000");
    const ok = group.filter((r) => typeof r.status === "number" && r.status < 400);
    const latencies = ok.map((r) => r.endedAt - r.startedAt).sort((a, b) => a - b);
    const rateLimited = group.filter((r) => r.status === 429).length;
    rows.push({
      minute: Number(minute) + 1,
      route,
      requests: group.length,
      perSecond: Math.round((group.length / (windowMs / 1000)) * 100) / 100,
      p50Ms: latencies.length ? round(percentile(latencies, 50)) : Number.NaN,
      p99Ms: latencies.length ? round(percentile(latencies, 99)) : Number.NaN,
      errors: group.length - ok.length - rateLimited,
      rateLimited,
    });
  }
  return rows.sort((a, b) => a.minute - b.minute || a.route.localeCompare(b.route));
}

/**
 * Resident memory (MiB) of a process and everything it started, from /proc, leaving out the subtrees of
 * `apart` (processes measured on their own); undefined elsewhere.
 */
export function treeRssMiB(pid: number, apart: ReadonlySet<number> = new Set()): number | undefined {
  try {
    const parents = new Map<number, number>();
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        parents.set(Number(name), Number(fields[1]));
      } catch {
        // Gone meanwhile.
      }
    }
    const tree = new Set([pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [child, parent] of parents) {
        if (tree.has(parent) && !tree.has(child) && !apart.has(child)) {
          tree.add(child);
          grew = true;
        }
      }
    }
    let kib = 0;
    for (const member of tree) {
      let status: string;
      try {
        status = readFileSync(`/proc/${member}/status`, "utf8");
      } catch {
        // A short-lived child that exited since the scan holds no memory any more; only the root must exist.
        if (member === pid) throw new Error(`process ${pid} is gone`);
        continue;
      }
      kib += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    }
    return Math.round((kib / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}

/** Each process with its children, less the children measured under a name of their own. */
export function memoryOf(pids: Record<string, number>): Record<string, number | null> {
  const all = new Set(Object.values(pids));
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const others = new Set([...all].filter((p) => p !== pid));
      return [name, treeRssMiB(pid, others) ?? null];
    }),
  );
}

/** A plain-text table: a header row, then rows, columns padded to their widest cell. */
export function table(header: string[], rows: (string | number | null)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null ? "–" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join("\n");
}

function commit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** Writes a report to .data/<kind>/<date>-<commit>.json and returns its path. */
export function writeReport(kind: "chaos" | "soak", report: unknown): string {
  const dir = path.join(dataRoot, kind);
  mkdirSync(dir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replaceAll(":", "-")
    .replace(/\.\d+Z$/, "Z");
  const file = path.join(dir, `${stamp}-${commit()}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
