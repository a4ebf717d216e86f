import { cp, mkdir, mkdtemp, open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadManifest, type Manifest, manifestSchema } from "@inkwell/models/manifest";
import { defaultModelsDir } from "@inkwell/models/paths";
import { pullModel } from "@inkwell/models/pull";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { findGguf } from "../../src/llm/select-backend.ts";
import { nodeModelDirs } from "../../src/runtime/model-dirs.ts";
import { loadRuntime } from "../../src/runtime/runtime.ts";
import { testConfig } from "../helpers/test-config.ts";

/**
 * A node reads models from two folders: the built-in one (MODELS_DIR, read-only in the images) and the
 * pulled one (PULLED_MODELS_DIR, a writable volume). Mounting an empty volume on the pulled folder must
 * hide nothing built in; a pull writes only to the pulled folder; a model in both is taken from the
 * pulled folder, so an operator upgrades a built-in model by pulling it.
 */

const built = defaultModelsDir({});
const STATIC = "inkwell-static-embed-100d";
const offline = [STATIC, "inkwell-sentiment-uci", "inkwell-emotion-prototypes"];
const pins = { embedding: STATIC, sentiment: "inkwell-sentiment-uci", emotion: "inkwell-emotion-prototypes" };

let root: string;
let builtIn: string;
let pulled: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "inkwell-model-dirs-"));
  builtIn = path.join(root, "app-models");
  pulled = path.join(root, "data-models");
  for (const id of offline) await cp(path.join(built, id), path.join(builtIn, id), { recursive: true });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

const dirsFromEnv = (env: Record<string, string>) => nodeModelDirs(testConfig(env).models);

const messages: string[] = [];
const records: Record<string, unknown>[] = [];
const log = {
  info(record: object, message?: string) {
    records.push(record as Record<string, unknown>);
    if (message) messages.push(message);
  },
  warn() {},
};

const load = (modelDirs: readonly string[]) =>
  loadRuntime({
    manifest: loadManifest(),
    modelDirs,
    tier: "cpu-small",
    device: "cpu",
    threads: 1,
    pins,
    batching: { maxBatchSize: 8, maxBatchTokens: 4096, maxWaitMs: 1, queueCapacity: 16 },
    log,
  });

async function corrupt(file: string) {
  const handle = await open(file, "r+");
  await handle.write(Buffer.from("garbage!"), 0, 8, 1_000_000);
  await handle.close();
}

describe("the node's two models folders", () => {
  it("searches PULLED_MODELS_DIR first, then MODELS_DIR; without it, MODELS_DIR alone", () => {
    expect(dirsFromEnv({ MODELS_DIR: builtIn, PULLED_MODELS_DIR: pulled })).toEqual([pulled, builtIn]);
    expect(dirsFromEnv({ MODELS_DIR: builtIn })).toEqual([builtIn]);
    expect(dirsFromEnv({ MODELS_DIR: builtIn, PULLED_MODELS_DIR: `${builtIn}/` })).toEqual([builtIn]);
    expect(dirsFromEnv({})).toEqual([built]);
  });

  it("finds the built-in models behind an empty pulled folder (a fresh volume) and a missing one", async () => {
    await mkdir(pulled);
    for (const dirs of [
      dirsFromEnv({ MODELS_DIR: builtIn, PULLED_MODELS_DIR: pulled }),
      dirsFromEnv({ MODELS_DIR: builtIn, PULLED_MODELS_DIR: path.join(root, "not-mounted") }),
    ]) {
      records.length = 0;
      const runtime = await load(dirs);
      try {
        expect(runtime.models.map((m) => m.id).sort()).toEqual([...offline].sort());
        const folders = records.filter((r) => "folder" in r).map((r) => r.folder);
        expect(folders).toEqual([builtIn, builtIn, builtIn]);
      } finally {
        await runtime.close();
      }
    }
  });

  it("takes a model present in both folders from the pulled one", async () => {
    await cp(path.join(built, STATIC), path.join(pulled, STATIC), { recursive: true });
    // The built-in copy is broken: loading it would fail, so success proves the pulled copy was used.
    await corrupt(path.join(builtIn, STATIC, "model.onnx"));
    records.length = 0;
    const runtime = await load([pulled, builtIn]);
    try {
      expect(runtime.models.find((m) => m.task === "embedding")?.id).toBe(STATIC);
      const embedding = records.find((r) => r.task === "embedding" && "folder" in r);
      expect(embedding?.folder).toBe(pulled);
      expect(records.find((r) => r.task === "sentiment" && "folder" in r)?.folder).toBe(builtIn);
    } finally {
      await runtime.close();
    }
  });

  it("reports a broken pulled copy instead of quietly falling back to the built-in one", async () => {
    await cp(path.join(built, STATIC), path.join(pulled, STATIC), { recursive: true });
    const file = path.join(pulled, STATIC, "model.onnx");
    await corrupt(file);
    await expect(load([pulled, builtIn])).rejects.toThrow(new RegExp(`Model file ${file} is corrupt`));
  });
});

describe("pulling a model", () => {
  const payload = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 251));
  const manifest: Manifest = manifestSchema.parse({
    schemaVersion: 1,
    models: [
      {
        id: "tiny-chat",
        displayName: "tiny chat",
        task: "llm",
        format: "gguf",
        source: "remote",
        files: [
          { path: "model.gguf", url: "https://example.test/model.gguf", sha256: null, sizeBytes: null },
        ],
        tiers: ["cpu"],
        priority: 0,
        contextLength: 8,
        licence: "MIT",
        attribution: "test",
      },
    ],
  });
  const fetchPayload: typeof fetch = async () =>
    new Response(payload, { status: 200, headers: { "content-length": String(payload.length) } });

  it("writes only to PULLED_MODELS_DIR, and the node then finds the model there", async () => {
    vi.stubEnv("MODELS_DIR", builtIn);
    vi.stubEnv("PULLED_MODELS_DIR", pulled);
    const before = (await readdir(builtIn)).sort();
    await pullModel(manifest, "tiny-chat", { fetch: fetchPayload, log: () => {}, progressBars: false });
    expect(await readdir(pulled)).toEqual(["tiny-chat"]);
    expect((await readdir(builtIn)).sort()).toEqual(before);
    const dirs = dirsFromEnv({ MODELS_DIR: builtIn, PULLED_MODELS_DIR: pulled });
    expect(findGguf(testConfig().llm, manifest, dirs)).toEqual({
      path: path.join(pulled, "tiny-chat", "model.gguf"),
      id: "tiny-chat",
    });
    expect(findGguf(testConfig().llm, manifest, [builtIn])).toBeUndefined();
  });
});
