import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { z } from "zod";

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

export function sha256Bytes(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export const fileRecordSchema = z.object({ sha256: z.string(), bytes: z.number().int().nonnegative() });
export type FileRecord = z.infer<typeof fileRecordSchema>;

/**
 * Written last into every model folder (built or pulled): what the files were when they were made, so
 * `verify` and the node's start-up can tell a corrupt or half-written file from a good one.
 */
export const modelRecordSchema = z.object({
  id: z.string(),
  origin: z.enum(["offline-build", "pull"]),
  /** For built models: the input hash the folder was built from (the build cache key). */
  inputsHash: z.string().optional(),
  files: z.record(z.string(), fileRecordSchema),
  /** Builder-reported quality figures, e.g. held-out accuracy. */
  metrics: z.record(z.string(), z.number()).optional(),
  /** Files whose hash no one had pinned in the manifest: recorded on first pull, trusted afterwards. */
  trustedOnFirstUse: z.array(z.string()).optional(),
});
export type ModelRecord = z.infer<typeof modelRecordSchema>;

export const MODEL_RECORD_FILE = "model-record.json";

export async function readModelRecord(file: string): Promise<ModelRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = modelRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
