import * as ort from "onnxruntime-node";
import type { TokenEncoder } from "../token-encoder.ts";

/** Runs a built model over texts in batches, the way the node feeds it, and returns one row per text. */
export async function runTextModel(
  model: Uint8Array | string,
  encoder: TokenEncoder,
  texts: readonly string[],
  output: string,
  batchSize = 256,
): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(model as Uint8Array, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
  });
  try {
    const rows: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      const batch = encoder.encodeBatch(texts.slice(start, start + batchSize));
      const dims = [batch.batchSize, batch.sequenceLength];
      const result = await session.run(
        {
          input_ids: new ort.Tensor("int64", batch.inputIds, dims),
          attention_mask: new ort.Tensor("int64", batch.attentionMask, dims),
        },
        [output],
      );
      const tensor = result[output];
      if (!tensor) throw new Error(`the model has no output ${output}`);
      const data = tensor.data as Float32Array;
      const width = data.length / batch.batchSize;
      for (let row = 0; row < batch.batchSize; row++) rows.push(data.slice(row * width, (row + 1) * width));
    }
    return rows;
  } finally {
    await session.release();
  }
}
