import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { MODEL_RECORD_FILE, type ModelRecord, readModelRecord, sha256File } from "./files.ts";
import { findModel, type Manifest, type RemoteFile } from "./manifest.ts";
import { pulledModelsDir } from "./paths.ts";

export type Log = (message: string) => void;

export interface PullOptions {
  modelsDir?: string;
  fetch?: typeof fetch;
  log?: Log;
  progressBars?: boolean;
  /** Runs `ollama pull`; replaced in tests. */
  runOllama?: (args: string[]) => Promise<number>;
}

export class PullError extends Error {
  override name = "PullError";
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

const human = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

type ProgressBar = {
  start(total: number, value: number, payload: Record<string, string>): void;
  update(value: number, payload: Record<string, string>): void;
  stop(): void;
};

/**
 * A terminal progress bar, or none where cli-progress is not installed: it is a development dependency,
 * and the node images pull models without it.
 */
async function progressBar(format: string): Promise<ProgressBar | undefined> {
  try {
    const { default: cliProgress } = await import("cli-progress");
    return new cliProgress.SingleBar({ format, hideCursor: true }, cliProgress.Presets.shades_classic);
  } catch {
    return undefined;
  }
}

/**
 * Downloads one file into `<dest>.part`, resuming from what is already there with an HTTP Range request,
 * then checks size and SHA-256 before the file takes its real name: a file with the wrong hash never
 * lands where the node would load it.
 */
export async function downloadFile(
  file: RemoteFile,
  dest: string,
  options: { fetch?: typeof fetch; log: Log; progressBars: boolean; expectedSha256?: string | null },
): Promise<{ sha256: string; bytes: number }> {
  const fetchFn = options.fetch ?? fetch;
  const part = `${dest}.part`;
  await mkdir(path.dirname(dest), { recursive: true });
  const have = (await sizeOf(part)) ?? 0;
  const expected = options.expectedSha256 === undefined ? file.sha256 : options.expectedSha256;

  const headers: Record<string, string> = {};
  if (have > 0) headers.range = `bytes=${have}-`;
  const response = await fetchFn(file.url, { headers, redirect: "follow" });

  let append = false;
  let total: number | undefined;
  if (response.status === 416 && have > 0) {
    // The server has nothing past what we hold: the .part is already complete.
    await response.body?.cancel();
  } else if (response.status === 206 && have > 0) {
    append = true;
    const range = /\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "");
    total = range?.[1] ? Number(range[1]) : undefined;
  } else if (response.ok) {
    const length = response.headers.get("content-length");
    total = length ? Number(length) : undefined;
  } else {
    await response.body?.cancel();
    throw new PullError(`GET ${file.url} answered ${response.status} ${response.statusText}`);
  }

  if (response.status !== 416) {
    if (!response.body) throw new PullError(`GET ${file.url} sent no body`);
    if (have > 0) {
      options.log(
        append
          ? `  resuming ${file.path} at ${human(have)}`
          : `  ${file.path}: the server cannot resume; starting over`,
      );
    }
    const start = append ? have : 0;
    const bar = options.progressBars
      ? await progressBar(`  ${file.path} [{bar}] {percentage}% {value_mb}/{total_mb} MB`)
      : undefined;
    let received = start;
    const toMb = (n: number) => (n / 1024 / 1024).toFixed(1);
    bar?.start(total ?? 0, start, { value_mb: toMb(start), total_mb: total ? toMb(total) : "?" });
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        bar?.update(received, { value_mb: toMb(received), total_mb: total ? toMb(total) : "?" });
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
        counter,
        createWriteStream(part, { flags: append ? "a" : "w" }),
      );
    } finally {
      bar?.stop();
    }
  }

  const bytes = (await sizeOf(part)) ?? 0;
  if (file.sizeBytes !== null && bytes !== file.sizeBytes) {
    if (bytes > file.sizeBytes) await rm(part, { force: true });
    throw new PullError(
      `${file.path}: got ${bytes} bytes, the manifest says ${file.sizeBytes}${bytes > file.sizeBytes ? " (discarded)" : "; run pull again to resume"}`,
    );
  }
  const sha256 = await sha256File(part);
  if (expected && sha256 !== expected) {
    await rm(part, { force: true });
    throw new PullError(
      `Refusing ${file.path} from ${file.url}: its SHA-256 is ${sha256} but the manifest pins ${expected}. ` +
        "The download was discarded; the file changed upstream or was corrupted in transit.",
    );
  }
  await rename(part, dest);
  return { sha256, bytes };
}

function defaultRunOllama(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("ollama", args, { stdio: "inherit" });
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new PullError(
              "ollama is not installed (https://ollama.com/download); the GPU Docker image ships it",
            )
          : error,
      ),
    );
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

/**
 * `npm run models -- pull <id>`: fetches a remote model's files into `<modelsDir>/<id>/`, verified.
 * `modelsDir` defaults to the pulled-models folder (PULLED_MODELS_DIR), never the image's built-in one.
 */
export async function pullModel(
  manifest: Manifest,
  id: string,
  options: PullOptions = {},
): Promise<ModelRecord | undefined> {
  const log = options.log ?? ((m: string) => process.stdout.write(`${m}\n`));
  const model = findModel(manifest, id);
  if (!model) throw new PullError(`No model ${id} in the manifest; see npm run models -- list`);
  if (model.source === "offline-build") {
    throw new PullError(`${id} is built locally, not downloaded: run npm run models -- build-offline`);
  }
  if (model.format === "ollama") {
    log(`pulling ${model.ollamaTag} through Ollama …`);
    const code = await (options.runOllama ?? defaultRunOllama)(["pull", model.ollamaTag]);
    if (code !== 0) throw new PullError(`ollama pull ${model.ollamaTag} failed (exit ${code})`);
    return undefined;
  }

  const modelsDir = options.modelsDir ?? pulledModelsDir();
  const dir = path.join(modelsDir, id);
  const recordFile = path.join(dir, MODEL_RECORD_FILE);
  const previous = await readModelRecord(recordFile);
  const files: ModelRecord["files"] = {};
  const trusted: string[] = [];
  for (const file of model.files) {
    const dest = path.join(dir, file.path);
    // A hash seen on an earlier pull stands in for a missing pin, so a changed upstream file is noticed.
    const known = file.sha256 ?? previous?.files[file.path]?.sha256 ?? null;
    const present = await sizeOf(dest);
    if (present !== undefined && known && (await sha256File(dest)) === known) {
      log(`  ${file.path}: already here and verified`);
      files[file.path] = { sha256: known, bytes: present };
      if (!file.sha256) trusted.push(file.path);
      continue;
    }
    log(`downloading ${id}/${file.path} …`);
    const result = await downloadFile(file, dest, {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      log,
      progressBars: options.progressBars ?? Boolean(process.stdout.isTTY),
      expectedSha256: known,
    });
    files[file.path] = result;
    if (!file.sha256) {
      trusted.push(file.path);
      if (!known) {
        log(
          `  ${file.path}: no checksum is pinned in the manifest; recorded sha256 ${result.sha256} (later pulls and verify compare against it)`,
        );
      }
    }
  }
  const record: ModelRecord = {
    id,
    origin: "pull",
    files,
    ...(trusted.length > 0 ? { trustedOnFirstUse: trusted } : {}),
  };
  await writeFile(recordFile, `${JSON.stringify(record, null, 2)}\n`);
  log(`pulled ${id} into ${dir}`);
  return record;
}
