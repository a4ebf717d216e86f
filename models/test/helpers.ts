import path from "node:path";
import { defaultModelsDir } from "../src/paths.ts";
import { TokenEncoder } from "../src/token-encoder.ts";

export const modelsDir = defaultModelsDir({});

export function builtModel(id: string): { model: string; encoder: () => Promise<TokenEncoder> } {
  const dir = path.join(modelsDir, id);
  return {
    model: path.join(dir, "model.onnx"),
    encoder: () =>
      TokenEncoder.fromFiles(path.join(dir, "tokenizer.json"), path.join(dir, "tokenizer_config.json"), 4096),
  };
}

export const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return dot;
};
