import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import cliProgress from "cli-progress";
import { MODEL_RECORD_FILE, type ModelRecord, readModelRecord, sha256File } from "../files.ts";
import { defaultModelsDir } from "../paths.ts";
import {
  type BuildContext,
  type BuildProgress,
  buildOrder,
  type OfflineBuilder,
  offlineBuilders,
} from "./registry.ts";
import { isReachableToken } from "./tokenizer-spec.ts";
import { loadWordVectors, type WordVectors } from "./word-vectors.ts";

export type Log = (message: string) => void;

export interface BuildOfflineOptions {
  modelsDir?: string;
  /** Rebuild even when the recorded input hash matches. */
  force?: boolean;
  /** Build only these ids (and what they depend on). */
  only?: readonly string[];
  builders?: readonly OfflineBuilder[];
  log?: Log;
  /** Draw progress bars (default: when stdout is a terminal); otherwise one log line per step. */
  progressBars?: boolean;
}

export interface BuildOutcome {
  id: string;
  status: "up-to-date" | "built";
  seconds: number;
  metrics: Record<string, number>;
}

export interface OfflineModelState {
  id: string;
  upToDate: boolean;
  /** Why it needs building, when it does. */
  reason?: string;
}

const LOCK_DIR = ".build-lock";
const LOCK_WAIT_MS = 15 * 60 * 1000;

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Up to date when the folder's record carries the current input hash and every recorded file is whole. */
export async function offlineModelState(
  builder: OfflineBuilder,
  modelsDir: string,
): Promise<OfflineModelState> {
  const dir = path.join(modelsDir, builder.id);
  const record = await readModelRecord(path.join(dir, MODEL_RECORD_FILE));
  if (!record) return { id: builder.id, upToDate: false, reason: "not built yet" };
  if (record.inputsHash !== (await builder.inputsHash())) {
    return { id: builder.id, upToDate: false, reason: "its inputs changed" };
  }
  for (const [file, expected] of Object.entries(record.files)) {
    try {
      const { size } = await stat(path.join(dir, file));
      if (size !== expected.bytes)
        return { id: builder.id, upToDate: false, reason: `${file} has the wrong size` };
    } catch {
      return { id: builder.id, upToDate: false, reason: `${file} is missing` };
    }
  }
  return { id: builder.id, upToDate: true };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One build at a time per models folder: `npm test` runs several test projects that each make sure the
 * models exist, and two writers of the same 40 MB file would corrupt it.
 */
async function withBuildLock<T>(modelsDir: string, log: Log, work: () => Promise<T>): Promise<T> {
  await mkdir(modelsDir, { recursive: true });
  const lock = path.join(modelsDir, LOCK_DIR);
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(await readFile(path.join(lock, "pid"), "utf8").catch(() => "0"));
      if (pid > 0 && !isAlive(pid)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS)
        throw new Error(`Timed out waiting for the model build lock ${lock}`);
      if (!announced) {
        log(`waiting for another model build (pid ${pid || "?"}) to finish …`);
        announced = true;
      }
      // A lock held by another process has no event to wait on; polling is the portable way.
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function recordFiles(dir: string): Promise<ModelRecord["files"]> {
  const files: ModelRecord["files"] = {};
  const walk = async (sub: string) => {
    for (const entry of (await readdir(path.join(dir, sub), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else if (entry.name !== MODEL_RECORD_FILE) {
        const full = path.join(dir, rel);
        files[rel] = { sha256: await sha256File(full), bytes: (await stat(full)).size };
      }
    }
  };
  await walk("");
  return files;
}

function progressReporter(
  id: string,
  bars: cliProgress.MultiBar | undefined,
  log: Log,
): BuildProgress & { stop(): void } {
  if (bars) {
    const bar = bars.create(1, 0, { id: id.padEnd(28), status: "starting" });
    return {
      update(value, total, status) {
        bar.setTotal(total);
        bar.update(value, { status });
      },
      stop() {
        bar.stop();
      },
    };
  }
  return {
    update(value, total, status) {
      if (value < total) log(`  ${id}: ${status} (${value + 1}/${total})`);
    },
    stop() {},
  };
}

/** `npm run models -- build-offline`: builds every offline model whose inputs changed, in dependency order. */
export async function buildOffline(options: BuildOfflineOptions = {}): Promise<BuildOutcome[]> {
  const modelsDir = options.modelsDir ?? defaultModelsDir();
  const log = options.log ?? ((m: string) => process.stdout.write(`${m}\n`));
  let order = buildOrder(options.builders ?? offlineBuilders);
  if (options.only && options.only.length > 0) {
    const wanted = new Set<string>();
    const byId = new Map(order.map((b) => [b.id, b]));
    const add = (id: string) => {
      const builder = byId.get(id);
      if (!builder)
        throw new Error(`No offline builder is called ${id}; known: ${[...byId.keys()].join(", ")}`);
      if (wanted.has(id)) return;
      wanted.add(id);
      for (const dep of builder.dependsOn ?? []) add(dep);
    };
    for (const id of options.only) add(id);
    order = order.filter((b) => wanted.has(b.id));
  }

  return await withBuildLock(modelsDir, log, async () => {
    const outcomes: BuildOutcome[] = [];
    const wordVectorCache = new Map<number, Promise<WordVectors>>();
    const useBars = options.progressBars ?? Boolean(process.stdout.isTTY);
    for (const builder of order) {
      const started = Date.now();
      const state = await offlineModelState(builder, modelsDir);
      if (state.upToDate && !options.force) {
        const record = await readModelRecord(path.join(modelsDir, builder.id, MODEL_RECORD_FILE));
        outcomes.push({ id: builder.id, status: "up-to-date", seconds: 0, metrics: record?.metrics ?? {} });
        continue;
      }
      log(`building ${builder.id} (${options.force ? "forced" : state.reason}) …`);
      const finalDir = path.join(modelsDir, builder.id);
      const tmpDir = path.join(modelsDir, `.tmp-${builder.id}-${process.pid}`);
      await rm(tmpDir, { recursive: true, force: true });
      await mkdir(tmpDir, { recursive: true });
      const bars = useBars
        ? new cliProgress.MultiBar(
            { format: "  {id} [{bar}] {value}/{total} {status}", hideCursor: true, clearOnComplete: false },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      const progress = progressReporter(builder.id, bars, log);
      const ctx: BuildContext = {
        outDir: tmpDir,
        modelsDir,
        modelDir: (id) => path.join(modelsDir, id),
        wordVectors(limit) {
          let cached = wordVectorCache.get(limit);
          if (!cached) {
            cached = loadWordVectors({ limit, accept: isReachableToken });
            wordVectorCache.set(limit, cached);
          }
          return cached;
        },
        progress,
        log: (message) => log(`  ${builder.id}: ${message}`),
      };
      let result: Awaited<ReturnType<OfflineBuilder["build"]>>;
      try {
        result = await builder.build(ctx);
      } catch (error) {
        progress.stop();
        bars?.stop();
        await rm(tmpDir, { recursive: true, force: true });
        throw new Error(
          `Building ${builder.id} failed: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        );
      }
      progress.stop();
      bars?.stop();
      const record: ModelRecord = {
        id: builder.id,
        origin: "offline-build",
        inputsHash: await builder.inputsHash(),
        files: await recordFiles(tmpDir),
        ...(result?.metrics ? { metrics: result.metrics } : {}),
      };
      // The record goes in last: a folder without one is never mistaken for a finished build.
      await writeFile(path.join(tmpDir, MODEL_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
      const oldDir = path.join(modelsDir, `.old-${builder.id}-${process.pid}`);
      if (await exists(finalDir)) await rename(finalDir, oldDir);
      await rename(tmpDir, finalDir);
      await rm(oldDir, { recursive: true, force: true });
      const seconds = (Date.now() - started) / 1000;
      log(`built ${builder.id} in ${seconds.toFixed(1)} s`);
      outcomes.push({ id: builder.id, status: "built", seconds, metrics: result?.metrics ?? {} });
    }
    return outcomes;
  });
}

/**
 * What `npm run dev`, `npm test` and the test suites call: builds whatever offline model is missing or out
 * of date, and is a cheap no-op (hashing a few source files) when everything is current.
 */
export async function ensureOfflineModels(
  log: Log,
  options: Omit<BuildOfflineOptions, "log"> = {},
): Promise<BuildOutcome[]> {
  const started = Date.now();
  const outcomes = await buildOffline({ ...options, log });
  const built = outcomes.filter((o) => o.status === "built");
  if (built.length > 0) {
    log(
      `offline models ready (${built.map((o) => o.id).join(", ")} built in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
  return outcomes;
}
