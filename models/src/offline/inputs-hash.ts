import { readFile } from "node:fs/promises";
import { sha256Bytes } from "../files.ts";

/**
 * The build cache key: the builder's own source files (a code change rebuilds), data fingerprints and
 * parameters. Paths are relative to this folder so the key is the same in every checkout.
 */
export async function hashInputs(sourceFiles: readonly URL[], parts: readonly unknown[]): Promise<string> {
  const chunks: string[] = [];
  for (const file of sourceFiles) {
    chunks.push(`file:${file.pathname.split("/src/").pop() ?? file.pathname}`, await readFile(file, "utf8"));
  }
  chunks.push(JSON.stringify(parts));
  return sha256Bytes(chunks.join("\u0000"));
}

/** Source files every built ONNX model depends on. */
export const SHARED_BUILD_SOURCES: readonly URL[] = [
  new URL("../onnx/graph.ts", import.meta.url),
  new URL("./static-embedding-graph.ts", import.meta.url),
  new URL("./tokenizer-spec.ts", import.meta.url),
  new URL("../token-encoder.ts", import.meta.url),
];
