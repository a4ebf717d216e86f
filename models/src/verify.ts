import { stat } from "node:fs/promises";
import path from "node:path";
import { MODEL_RECORD_FILE, readModelRecord, sha256File } from "./files.ts";
import type { Manifest, ModelEntry } from "./manifest.ts";

export type ModelStatus =
  | { id: string; state: "ok"; files: number }
  | { id: string; state: "absent" }
  | { id: string; state: "not-applicable"; detail: string }
  | { id: string; state: "bad"; problems: string[] };

/** Expected SHA-256 per file: the manifest's pin when there is one, else what the build or first pull recorded. */
export async function checkModelFiles(
  model: ModelEntry,
  modelsDir: string,
  deep: boolean,
): Promise<ModelStatus> {
  if (model.format === "ollama") {
    return { id: model.id, state: "not-applicable", detail: `managed by Ollama (${model.ollamaTag})` };
  }
  const dir = path.join(modelsDir, model.id);
  const record = await readModelRecord(path.join(dir, MODEL_RECORD_FILE));
  const present = await Promise.all(
    model.files.map((f) =>
      stat(path.join(dir, f.path)).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (!record && !present.some(Boolean)) return { id: model.id, state: "absent" };

  const problems: string[] = [];
  if (!record)
    problems.push(`${MODEL_RECORD_FILE} is missing: the folder was never finished (build or pull it again)`);
  for (const file of model.files) {
    const full = path.join(dir, file.path);
    const pinned = "sha256" in file ? file.sha256 : null;
    const expected = pinned ?? record?.files[file.path]?.sha256;
    let size: number;
    try {
      size = (await stat(full)).size;
    } catch {
      problems.push(`${full} is missing`);
      continue;
    }
    const recordedSize = record?.files[file.path]?.bytes;
    if (recordedSize !== undefined && recordedSize !== size) {
      problems.push(`${full} is ${size} bytes, expected ${recordedSize}`);
      continue;
    }
    if (!deep) continue;
    if (!expected) {
      problems.push(`${full} has no recorded checksum`);
      continue;
    }
    const actual = await sha256File(full);
    if (actual !== expected) problems.push(`${full} has SHA-256 ${actual}, expected ${expected}`);
  }
  return problems.length === 0
    ? { id: model.id, state: "ok", files: model.files.length }
    : { id: model.id, state: "bad", problems };
}

export async function verifyModels(manifest: Manifest, modelsDir: string): Promise<ModelStatus[]> {
  return await Promise.all(manifest.models.map((model) => checkModelFiles(model, modelsDir, true)));
}

export interface LocatedModel {
  status: ModelStatus;
  /** The folder (of those searched) that holds the model; the first one when it is nowhere. */
  modelsDir: string;
}

/**
 * Finds a model in the first of `dirs` that holds any of it. A copy that is there but broken is reported,
 * not passed over for the next folder: an operator who pulled a model expects that copy to be used.
 */
export async function locateModel(
  model: ModelEntry,
  dirs: readonly string[],
  deep: boolean,
): Promise<LocatedModel> {
  const first = dirs[0];
  if (first === undefined) throw new Error("locateModel needs at least one models folder");
  for (const modelsDir of dirs) {
    const status = await checkModelFiles(model, modelsDir, deep);
    if (status.state !== "absent") return { status, modelsDir };
  }
  return { status: { id: model.id, state: "absent" }, modelsDir: first };
}
