import { readFileSync } from "node:fs";
import { z } from "zod";

export const modelFormats = ["onnx", "gguf", "ollama"] as const;
export const hardwareTiers = ["cpu-small", "cpu", "gpu"] as const;
export type HardwareTier = (typeof hardwareTiers)[number];

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");

/**
 * A file fetched from the internet. `sha256: null` means nobody has pinned it yet: the first pull records
 * the hash it saw (trust on first use) and every later verify compares against that record.
 */
const remoteFileSchema = z.object({
  path: z.string().regex(/^[\w.-]+(\/[\w.-]+)*$/, "must be a relative path inside the model folder"),
  url: z.url({ protocol: /^https$/ }),
  sha256: sha256Schema.nullable(),
  sizeBytes: z.number().int().positive().nullable(),
});
export type RemoteFile = z.infer<typeof remoteFileSchema>;

/** A file `build-offline` writes; its hash is recorded in the folder's build-info.json at build time. */
const builtFileSchema = z.object({
  path: z.string().regex(/^[\w.-]+(\/[\w.-]+)*$/),
});

const tokenizerSchema = z.object({
  file: z.string(),
  configFile: z.string().optional(),
  /** Longer inputs are truncated to this many tokens (special tokens included). */
  maxLength: z.number().int().positive(),
});

const embeddingOutputSchema = z.object({
  kind: z.literal("embedding"),
  /** The ONNX output to read. */
  name: z.string(),
  dims: z.number().int().positive(),
  /** `none` when the graph pools itself; `mean`/`cls` over a [batch, sequence, dims] output otherwise. */
  pooling: z.enum(["none", "mean", "cls"]),
  normalize: z.boolean(),
});

const classifierOutputSchema = z.object({
  kind: z.literal("classifier"),
  name: z.string(),
  labels: z.array(z.string().min(1)).min(2),
  /** What turns the output into scores: `none` when the graph already ends in a softmax. */
  activation: z.enum(["none", "softmax", "sigmoid"]),
});

export const capabilitySchema = z.object({
  /** Journal-length texts per second, one at a time (median run), on the threads the node gives models. */
  textsPerSecond: z.number().positive(),
  /** Memory (MiB) still free once the model is loaded. */
  freeMemoryMiB: z.number().int().nonnegative(),
});
export type Capability = z.infer<typeof capabilitySchema>;

const onnxCommon = {
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "must be lowercase kebab-case"),
  displayName: z.string(),
  format: z.literal("onnx"),
  tokenizer: tokenizerSchema,
  /** Tiers this model suits; the node loads it only there. */
  tiers: z.array(z.enum(hardwareTiers)).min(1),
  /** Higher wins when several installed models suit the tier and task. */
  priority: z.number().int(),
  /**
   * What the machine must show at start-up before this model is chosen, measured there (a short
   * benchmark on the loaded model, and the memory still free after loading) instead of guessed from the
   * tier. Without it, suiting the tier is enough.
   */
  requires: capabilitySchema.optional(),
  /**
   * For a head over another model's embeddings (the journal heads over USE-lite): that model's id. The
   * start-up measurement is taken on the encoder, once, so the encoder and its heads are chosen together.
   */
  encoder: z.string().optional(),
  licence: z.string(),
  attribution: z.string(),
  homepage: z.url().optional(),
};

const onnxTaskFields = z.discriminatedUnion("task", [
  z.object({ task: z.literal("embedding"), output: embeddingOutputSchema }),
  z.object({ task: z.literal("sentiment"), output: classifierOutputSchema }),
  z.object({ task: z.literal("emotion"), output: classifierOutputSchema }),
]);

const onnxRemoteSchema = z.object({
  ...onnxCommon,
  source: z.literal("remote"),
  files: z.array(remoteFileSchema).min(1),
});

const onnxOfflineSchema = z.object({
  ...onnxCommon,
  source: z.literal("offline-build"),
  /** The id of the entry in `offlineBuilders` that produces this folder. */
  builder: z.string(),
  files: z.array(builtFileSchema).min(1),
});

const llmCommon = {
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  displayName: z.string(),
  task: z.literal("llm"),
  tiers: z.array(z.enum(hardwareTiers)).min(1),
  priority: z.number().int(),
  licence: z.string(),
  attribution: z.string(),
  homepage: z.url().optional(),
  contextLength: z.number().int().positive(),
};

const ggufSchema = z.object({
  ...llmCommon,
  format: z.literal("gguf"),
  source: z.literal("remote"),
  files: z.array(remoteFileSchema).length(1),
});

/** Ollama pulls and verifies its own blobs; the manifest only names the tag. */
const ollamaSchema = z.object({
  ...llmCommon,
  format: z.literal("ollama"),
  source: z.literal("ollama"),
  ollamaTag: z.string().min(1),
});

export const modelEntrySchema = z.union([
  z.intersection(onnxRemoteSchema, onnxTaskFields),
  z.intersection(onnxOfflineSchema, onnxTaskFields),
  ggufSchema,
  ollamaSchema,
]);
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type OnnxModelEntry = Extract<ModelEntry, { format: "onnx" }>;
export type ClassifierEntry = Extract<OnnxModelEntry, { task: "sentiment" | "emotion" }>;
export type EmbeddingEntry = Extract<OnnxModelEntry, { task: "embedding" }>;

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    models: z.array(modelEntrySchema).min(1),
  })
  .superRefine((manifest, ctx) => {
    const seen = new Set<string>();
    for (const [index, model] of manifest.models.entries()) {
      if (seen.has(model.id)) {
        ctx.addIssue({ code: "custom", path: ["models", index, "id"], message: `duplicate id ${model.id}` });
      }
      seen.add(model.id);
    }
  });
export type Manifest = z.infer<typeof manifestSchema>;

export const manifestPath = new URL("../manifest.json", import.meta.url);

export class ManifestError extends Error {
  override name = "ManifestError";
}

/** Reads and validates `models/manifest.json` (or another file); a bad manifest names every problem. */
export function loadManifest(path: URL | string = manifestPath): Manifest {
  const raw: unknown = JSON.parse(readFileSync(path, "utf8"));
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ManifestError(`The model manifest ${String(path)} is not valid:\n${problems.join("\n")}`);
  }
  return parsed.data;
}

export function isOnnxModel(model: ModelEntry): model is OnnxModelEntry {
  return model.format === "onnx";
}

export function findModel(manifest: Manifest, id: string): ModelEntry | undefined {
  return manifest.models.find((m) => m.id === id);
}
