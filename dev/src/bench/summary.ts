import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The benchmark figures users feel, each beside its target: read from the latest result file of each
 * benchmark (`bench/results/<name>.json`), so the table always says which run (date and commit) a figure
 * comes from, and "not measured" where no run has produced it yet.
 */
export interface BenchTarget {
  /** The benchmark whose result file holds the figure. */
  bench: string;
  what: string;
  /** The figure, read from that file's `result`; undefined when the run did not produce it. */
  read: (result: Record<string, unknown>) => number | undefined;
  unit: "ms" | "×" | "ratio";
  /** Met when the figure is at most (`max`) or at least (`min`) the target. */
  goal: "max" | "min";
  target: number;
}

type Json = Record<string, unknown>;

const at = (value: unknown, ...keys: (string | number)[]): unknown => {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
};

const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

/** A search scenario's figures by its name ("1 user, 100k", "100 users, 100k"). */
const scenario = (result: Json, name: string): Json | undefined => {
  const list = result.scenarios;
  if (!Array.isArray(list)) return undefined;
  return list.find((s): s is Json => typeof s === "object" && s !== null && (s as Json).name === name);
};

/** The largest scenario of the 100-writer kind that the run measured. */
const crowdScenario = (result: Json): Json | undefined => {
  const list = result.scenarios;
  if (!Array.isArray(list)) return undefined;
  return list.findLast(
    (s): s is Json =>
      typeof s === "object" && s !== null && String((s as Json).name ?? "").startsWith("100 users"),
  );
};

const batchingAt = (result: Json, concurrency: number): Json | undefined => {
  const list = result.batching;
  if (!Array.isArray(list)) return undefined;
  return list.find((row): row is Json => typeof row === "object" && row?.concurrency === concurrency);
};

export const benchTargets: readonly BenchTarget[] = [
  {
    bench: "search",
    what: "semantic search at the node, one writer with 100k entries, p50",
    read: (r) => num(at(scenario(r, "1 user, 100k"), "node", "p50Ms")),
    unit: "ms",
    goal: "max",
    target: 20,
  },
  {
    bench: "search",
    what: "semantic search at the node, a writer among 100 writers, p50",
    read: (r) => num(at(crowdScenario(r), "node", "p50Ms")),
    unit: "ms",
    goal: "max",
    target: 20,
  },
  {
    bench: "search",
    what: "what the Worker adds over the node for a search (1 writer, 1k), p50",
    read: (r) => {
      const s = scenario(r, "1 user, 1k");
      const edge = num(at(s, "edge", "p50Ms"));
      const node = num(at(s, "node", "p50Ms"));
      return edge === undefined || node === undefined ? undefined : edge - node;
    },
    unit: "ms",
    goal: "max",
    target: 30,
  },
  {
    bench: "journal",
    what: "cached GET /v1/entries/{id} over VIEW_CACHE=off, p50 speed-up",
    read: (r) => num(at(r, "getEntry", "p50Speedup")),
    unit: "×",
    goal: "min",
    target: 3,
  },
  {
    bench: "pipeline",
    what: "entry POST to analysis done, light load, p50",
    read: (r) => num(at(r, "lightLoad", "p50Ms")),
    unit: "ms",
    goal: "max",
    target: 250,
  },
  {
    bench: "pipeline",
    what: "two nodes over one at saturation",
    read: (r) => num(at(r, "saturation", "scaling")),
    unit: "×",
    goal: "min",
    target: 1.8,
  },
  {
    bench: "inference-node",
    what: "dynamic batching over one at a time, concurrency 64",
    read: (r) => num(at(batchingAt(r, 64), "speedup")),
    unit: "×",
    goal: "min",
    target: 3,
  },
  {
    bench: "chat",
    what: "chat first token through the Worker over the node directly, p50",
    read: (r) => num(at(r, "overhead", "ttftP50Ratio")),
    unit: "ratio",
    goal: "max",
    target: 1.1,
  },
];

export interface SummaryRow {
  bench: string;
  what: string;
  value: number | null;
  unit: BenchTarget["unit"];
  target: string;
  status: "met" | "not met" | "not measured";
  /** When and at which commit the figure was measured (from its result file). */
  measuredAt: string | null;
  commit: string | null;
}

export interface BenchResultFile {
  benchmark: string;
  at: string;
  commit?: string;
  result: unknown;
}

/** Reads `<dir>/<bench>.json`, or undefined when that benchmark has not run (or its file is unreadable). */
export function readResultFile(dir: string, bench: string): BenchResultFile | undefined {
  const file = path.join(dir, `${bench}.json`);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<BenchResultFile>;
    // The node's own bench writes its figures at the top level; the shared runner nests them in `result`.
    if (typeof parsed !== "object" || parsed === null) return undefined;
    return {
      benchmark: bench,
      at: typeof parsed.at === "string" ? parsed.at : "",
      ...(typeof parsed.commit === "string" ? { commit: parsed.commit } : {}),
      result: "result" in parsed ? parsed.result : parsed,
    };
  } catch {
    return undefined;
  }
}

const rounded = (value: number) => Math.round(value * 100) / 100;

/** One row per target, from the result files found in `dir`. */
export function summarise(dir: string, targets: readonly BenchTarget[] = benchTargets): SummaryRow[] {
  return targets.map((t) => {
    const file = readResultFile(dir, t.bench);
    const result =
      file && typeof file.result === "object" && file.result !== null ? (file.result as Json) : {};
    const value = file ? t.read(result) : undefined;
    const met = value === undefined ? undefined : t.goal === "max" ? value <= t.target : value >= t.target;
    return {
      bench: t.bench,
      what: t.what,
      value: value === undefined ? null : rounded(value),
      unit: t.unit,
      target: `${t.goal === "max" ? "≤" : "≥"} ${t.target}${t.unit === "ms" ? " ms" : t.unit === "×" ? "×" : ""}`,
      status: met === undefined ? "not measured" : met ? "met" : "not met",
      measuredAt: value === undefined ? null : file?.at || null,
      commit: value === undefined ? null : (file?.commit ?? null),
    };
  });
}

/** The summary as a Markdown table, for `bench/results/summary.md`. */
export function summaryMarkdown(rows: readonly SummaryRow[], generatedAt: string): string {
  const lines = [
    "# Benchmark summary",
    "",
    `Generated ${generatedAt} from the latest result file of each benchmark; each row names the run it comes from.`,
    "",
    "| benchmark | what | measured | target | status | measured at | commit |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const value = r.value === null ? "—" : `${r.value}${r.unit === "ms" ? " ms" : r.unit === "×" ? "×" : ""}`;
    lines.push(
      `| ${r.bench} | ${r.what} | ${value} | ${r.target} | ${r.status} | ${r.measuredAt ?? "—"} | ${r.commit ?? "—"} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The commit the working tree is at, with "+dirty" when it has uncommitted changes; null outside git. */
export function currentCommit(cwd: string): string | null {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
        cwd,
        encoding: "utf8",
      }).trim() !== "";
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}
