import { cp, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadManifest } from "@inkwell/models/manifest";
import { defaultModelsDir } from "@inkwell/models/paths";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelLoadError } from "../../src/runtime/errors.ts";
import { selectModels } from "../../src/runtime/model-selection.ts";
import { loadRuntime } from "../../src/runtime/runtime.ts";

const built = defaultModelsDir({});
const STATIC = "inkwell-static-embed-100d";
const offline = [STATIC, "inkwell-sentiment-uci", "inkwell-emotion-prototypes"];
const silent = { info() {}, warn() {} };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "inkwell-models-"));
  for (const id of offline) await cp(path.join(built, id), path.join(dir, id), { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = (modelsDir: string, tier: "cpu-small" | "cpu" | "gpu" = "cpu-small") =>
  loadRuntime({
    manifest: loadManifest(),
    modelDirs: [modelsDir],
    tier,
    device: "cpu",
    threads: 1,
    batching: { maxBatchSize: 8, maxBatchTokens: 4096, maxWaitMs: 1, queueCapacity: 16 },
    log: silent,
  });

describe("loading models", () => {
  it("refuses a missing model file, naming it", async () => {
    const file = path.join(dir, STATIC, "model.onnx");
    await rm(file);
    const attempt = load(dir);
    await expect(attempt).rejects.toBeInstanceOf(ModelLoadError);
    await expect(attempt).rejects.toThrow(file);
  });

  it("refuses a corrupt model file (same size, flipped bytes), naming it", async () => {
    const file = path.join(dir, STATIC, "model.onnx");
    const handle = await open(file, "r+");
    await handle.write(Buffer.from("garbage!"), 0, 8, 1_000_000);
    await handle.close();
    const attempt = load(dir);
    await expect(attempt).rejects.toThrow(new RegExp(`Model file ${file} is corrupt: its SHA-256 is`));
  });

  it("refuses a truncated tokenizer, naming it", async () => {
    const file = path.join(dir, "inkwell-emotion-prototypes", "tokenizer.json");
    await writeFile(file, "{");
    await expect(load(dir)).rejects.toThrow(file);
  });

  it("says what to run when a model was never built", async () => {
    await rm(path.join(dir, STATIC), { recursive: true });
    await expect(load(dir)).rejects.toThrow(
      /No embedding model is available for tier cpu-small: missing .*inkwell-static-embed-100d.*build-offline/,
    );
  });
});

describe("the tier table", () => {
  it("takes the best model present for the tier and says why it skipped the others", async () => {
    const manifest = loadManifest();
    const present = new Set([...offline, "all-minilm-l6-v2"]);
    const check = async (model: { id: string }) =>
      present.has(model.id)
        ? ({ id: model.id, state: "ok", files: 3 } as const)
        : ({ id: model.id, state: "absent" } as const);

    const gpu = await selectModels(manifest, "gpu", [dir], {}, check);
    const embedding = gpu.decisions.find((d) => d.task === "embedding");
    expect(embedding?.chosen).toBe("all-minilm-l6-v2");
    expect(embedding?.candidates[0]).toMatchObject({
      id: "bge-small-en-v1.5",
      outcome: "skipped",
      why: expect.stringContaining("pull bge-small-en-v1.5"),
    });

    const small = await selectModels(manifest, "cpu-small", [dir], {}, check);
    expect(small.decisions.map((d) => d.chosen)).toEqual(offline);
    expect(small.decisions[0]?.candidates.find((c) => c.id === "all-minilm-l6-v2")?.why).toBe(
      "suits cpu, gpu, not cpu-small",
    );

    const pinned = await selectModels(manifest, "gpu", [dir], { embedding: STATIC }, check);
    expect(pinned.decisions[0]).toMatchObject({
      chosen: STATIC,
      candidates: [{ why: "pinned by configuration" }],
    });
    await expect(
      selectModels(manifest, "gpu", [dir], { embedding: "bge-small-en-v1.5" }, check),
    ).rejects.toThrow(/pull bge-small-en-v1.5/);
  });
});
