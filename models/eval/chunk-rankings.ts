import { entryChunks, multiVectorScore } from "@inkwell/shared";
import type { EvalEmbedder } from "./embedding-models.ts";

export interface ChunkedDocument {
  id: string;
  vector: Float32Array;
  /** One vector per sentence window (`entryChunks`); none for a one-sentence entry. */
  chunks: Float32Array[];
}

/**
 * Embeds every entry's sentence windows in one batch run and hands them back per entry: the windows a
 * node stores for the entry (`entryChunks`, what inference-node/src/routes/jobs/analyze-entry.ts embeds).
 */
export async function embedChunks(
  embedder: EvalEmbedder,
  documents: readonly { id: string; title?: string | undefined; content: string; vector: Float32Array }[],
): Promise<ChunkedDocument[]> {
  const texts = documents.map((doc) => entryChunks(doc));
  const vectors = await embedder.embed(texts.flat());
  let next = 0;
  return documents.map((doc, i) => ({
    id: doc.id,
    vector: doc.vector,
    chunks: (texts[i] ?? []).map(() => vectors[next++] as Float32Array),
  }));
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/**
 * Multi-vector semantic ranking: every entry scored by `multiVectorScore` (its whole vector and its best
 * sentence window), exactly over all entries as the single-vector ranking is. The node's
 * `POST /v1/vectors/search` scores entries the same way over Chroma (inference-node/src/vectors/vector-search.ts).
 */
export function chunkedRanking(query: Float32Array, documents: readonly ChunkedDocument[]): string[] {
  return documents
    .map((doc) => ({
      id: doc.id,
      score: multiVectorScore(
        dot(query, doc.vector),
        doc.chunks.map((chunk) => dot(query, chunk)),
      ),
    }))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .map((hit) => hit.id);
}
