import { copyFile, readFile } from "node:fs/promises";
import path from "node:path";
import { readFloatInitializers } from "../onnx/graph.ts";
import { TokenEncoder } from "../token-encoder.ts";
import { STATIC_EMBEDDING, type StaticEmbeddingParams } from "./static-embedding-graph.ts";

/** What a head builder needs from the finished static embedding folder. */
export interface StaticEmbeddingBuild {
  modelBytes: Uint8Array;
  params: StaticEmbeddingParams;
  encoder: TokenEncoder;
  /** Copies tokenizer.json and tokenizer_config.json next to the head's model, which uses the same ids. */
  copyTokenizer(outDir: string): Promise<void>;
}

export async function readStaticEmbeddingBuild(
  dir: string,
  maxLength: number,
): Promise<StaticEmbeddingBuild> {
  const modelBytes = new Uint8Array(await readFile(path.join(dir, "model.onnx")));
  const initializers = readFloatInitializers(modelBytes);
  const table = initializers.get(STATIC_EMBEDDING.table);
  const component = initializers.get(STATIC_EMBEDDING.commonComponent);
  if (!table || !component || table.dims.length !== 2) {
    throw new Error(`${dir}/model.onnx is not a static embedding model (no ${STATIC_EMBEDDING.table} table)`);
  }
  const [vocabularySize, dims] = table.dims as [number, number];
  const encoder = await TokenEncoder.fromFiles(
    path.join(dir, "tokenizer.json"),
    path.join(dir, "tokenizer_config.json"),
    maxLength,
  );
  return {
    modelBytes,
    params: { table: table.data, vocabularySize, dims, commonComponent: component.data },
    encoder,
    async copyTokenizer(outDir) {
      await copyFile(path.join(dir, "tokenizer.json"), path.join(outDir, "tokenizer.json"));
      await copyFile(path.join(dir, "tokenizer_config.json"), path.join(outDir, "tokenizer_config.json"));
    },
  };
}
