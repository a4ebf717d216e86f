import { z } from "zod";

/** `POST /v1/vectors/search` on a node (edge-signed): nearest entries of one user in one model's collection. */
export const vectorSearchRequestSchema = z.object({
  model: z.string().min(1).max(200),
  embedding: z.array(z.number()).min(1).max(4096),
  userId: z.string().min(1).max(64),
  limit: z.number().int().min(1).max(200),
  /** Inclusive lower and exclusive upper bound on occurredAt, in epoch milliseconds. */
  fromMs: z.number().int().optional(),
  toMs: z.number().int().optional(),
  excludeEntryIds: z.array(z.string()).max(100).optional(),
});
export type VectorSearchRequest = z.infer<typeof vectorSearchRequestSchema>;

export const vectorSearchResponseSchema = z.object({
  model: z.string(),
  /** Best first; score is cosine similarity (1 = same direction). */
  items: z.array(z.object({ entryId: z.string(), score: z.number() })),
});
export type VectorSearchResponse = z.infer<typeof vectorSearchResponseSchema>;
