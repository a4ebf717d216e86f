import type { InferenceRuntime } from "../runtime/runtime.ts";

/**
 * Windows sent to the model at once: a long entry queues in slices like any other caller rather than
 * filling the queue and turning searches away while it is embedded.
 */
const EMBED_SLICE = 64;

/**
 * Embeds an entry's sentence windows (`entryChunks`) with the node's embedding model, in order; no model
 * call for an entry without any.
 */
export async function embedChunkTexts(
  runtime: InferenceRuntime,
  texts: readonly string[],
): Promise<number[][]> {
  const embeddings: number[][] = [];
  for (let start = 0; start < texts.length; start += EMBED_SLICE) {
    const { vectors } = await runtime.embed(texts.slice(start, start + EMBED_SLICE));
    embeddings.push(...vectors.map((vector) => Array.from(vector)));
  }
  return embeddings;
}
