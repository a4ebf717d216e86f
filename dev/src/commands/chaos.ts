import { z } from "zod";
import {
  type CampaignReport,
  CHAOS_EDGE_VARS,
  type ChaosNode,
  runCampaign,
  runSoak,
  type SoakReport,
  startChaosNode,
} from "../chaos/campaign.ts";
import { FAULT_KINDS, type FaultKind } from "../chaos/faults.ts";
import { table, writeReport } from "../chaos/report.ts";
import { startTestStack } from "../testing/test-stack.ts";

const say = (message: string) => process.stdout.write(`${message}\n`);

/** "90", "90s", "15m", "1h" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match)
    throw new Error(`--duration: expected a number of seconds or e.g. 90s, 15m, 1h (got "${text}")`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1000;
  return Number(match[1]) * unit;
}

const optionsSchema = z.object({
  entries: z.coerce.number().int().min(1).default(2000),
  writers: z.coerce.number().int().min(1).max(200).default(8),
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .default(() => Date.now() % 1_000_000),
  duration: z.string().optional(),
  repeats: z.coerce.number().int().min(1).default(3),
  faults: z.string().optional(),
  soak: z.boolean().default(false),
  minutes: z.coerce.number().min(0.1).default(10),
});

/** `--name value`, `--name=value` and bare `--flag` into an object. */
export function parseFlags(args: string[]): Record<string, string | boolean> {
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (!arg.startsWith("--")) throw new Error(`unexpected argument "${arg}"`);
    const [name = "", inline] = arg.slice(2).split("=", 2);
    const next = args[i + 1];
    if (inline !== undefined) flags[name] = inline;
    else if (next !== undefined && !next.startsWith("--")) {
      flags[name] = next;
      i++;
    } else flags[name] = true;
  }
  return flags;
}

export function printCampaign(report: CampaignReport): void {
  say(`\nchaos campaign, seed ${report.seed}: ${report.entries.acknowledged} entries acknowledged`);
  say(
    `  (${report.entries.deleted} deleted, ${report.entries.retriedCreates} creates answered after a retry, ` +
      `${report.entries.unacknowledgedCreates} given up), load ${Math.round(report.loadMs / 1000)} s, settled in ${Math.round(report.settleMs / 1000)} s`,
  );
  if (report.edgeRevivals > 0)
    say(
      `  the edge exited on its own ${report.edgeRevivals} times (wrangler dev, Postgres restarts) and was started again`,
    );
  say(`\nrequests: ${report.requests}`);
  say(
    table(
      ["status", "count"],
      Object.entries(report.byStatus).sort((a, b) => b[1] - a[1]),
    ),
  );
  say("\nfaults and recovery (fault to the next success of what it disturbs)");
  say(
    table(
      ["fault", "injected", "unrecovered", "p50 ms", "max ms"],
      report.recovery.map((r) => [r.kind, r.injected, r.unrecovered, r.p50Ms, r.maxMs]),
    ),
  );
  say("\ninvariants");
  say(
    table(
      ["", "invariant", "detail"],
      report.invariants.map((i) => [i.ok ? "ok" : "FAIL", i.name, i.detail]),
    ),
  );
}

export function printSoak(report: SoakReport): void {
  say(`\nsoak: ${report.minutes} min, ${report.writers} writers, ${report.requests} requests`);
  say(
    table(
      ["status", "count"],
      Object.entries(report.byStatus).sort((a, b) => b[1] - a[1]),
    ),
  );
  say("");
  say(
    table(
      ["minute", "route", "requests", "per s", "p50 ms", "p99 ms", "errors", "429"],
      report.perMinute.map((r) => [
        r.minute,
        r.route,
        r.requests,
        r.perSecond,
        r.p50Ms,
        r.p99Ms,
        r.errors,
        r.rateLimited,
      ]),
    ),
  );
  say("\nresident memory (MiB, each process with its children)");
  say(
    table(
      ["process", "start", "end"],
      Object.keys(report.memoryMiB.end).map((name) => [
        name,
        report.memoryMiB.start[name] ?? null,
        report.memoryMiB.end[name] ?? null,
      ]),
    ),
  );
}

/**
 * `npm run chaos [-- --entries N --writers N --seed N --duration 10m --repeats N --faults a,b]`: one local
 * stack, a load of careful writers, faults of every kind; `npm run soak` / `npm run chaos -- --soak
 * --minutes N`: a steady load and its figures per minute. Reports go to .data/chaos/ and .data/soak/.
 */
export async function chaosCommand(args: string[]): Promise<number> {
  const options = optionsSchema.parse(parseFlags(args));
  const faults = options.faults
    ? options.faults.split(",").map((f) => {
        if (!(FAULT_KINDS as readonly string[]).includes(f)) {
          throw new Error(`--faults: unknown fault "${f}"; known: ${FAULT_KINDS.join(", ")}`);
        }
        return f as FaultKind;
      })
    : FAULT_KINDS;
  say("starting a local stack (Postgres, Redis, QStash, Chroma, the edge and a node) …");
  const stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge"], "chaos", {
    edgeVars: CHAOS_EDGE_VARS,
    edgeDatabaseRelay: true,
  });
  say(`stack ready; its logs are in ${stack.dataDir}/logs`);
  const stopOnSignal = () => {
    void stack.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  let chaosNode: ChaosNode | undefined;
  try {
    chaosNode = await startChaosNode(stack);
    if (options.soak) {
      const report = await runSoak(stack, {
        minutes: options.minutes,
        writers: options.writers,
        seed: options.seed,
        say,
      });
      printSoak(report);
      say(`\nreport written to ${writeReport("soak", report)}`);
      return 0;
    }
    const report = await runCampaign(stack, chaosNode, {
      entries: options.entries,
      writers: options.writers,
      seed: options.seed,
      ...(options.duration ? { durationMs: parseDuration(options.duration) } : {}),
      faults,
      repeats: options.repeats,
      settleTimeoutMs: 300_000,
      say,
    });
    printCampaign(report);
    say(`\nreport written to ${writeReport("chaos", report)}`);
    return report.ok ? 0 : 1;
  } finally {
    process.off("SIGINT", stopOnSignal);
    process.off("SIGTERM", stopOnSignal);
    await stack.stop();
    await chaosNode?.link.close();
  }
}
