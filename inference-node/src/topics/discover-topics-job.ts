import { z } from "zod";

/**
 * `POST /jobs/discover-topics` (QStash-signed). The edge sends one writer's entries; the node clusters them
 * and answers with the topics, which the edge stores as `topics.kind = 'discovered'` (through QStash's
 * callback, like every job). Entries may carry the embedding the edge keeps in `entry_embeddings`; those
 * without one are embedded here. Text-only bodies stay small (QStash caps message size; a few hundred
 * entries of vectors would not fit a 1 MB plan), at the price of re-embedding on the node.
 */
export const discoverTopicsJobSchema = z.object({
  jobId: z.string().min(1),
  userId: z.string().min(1),
  /** The model the given embeddings come from; ignored (all re-embedded) when it is not the node's. */
  model: z.string().min(1).optional(),
  entries: z
    .array(
      z.object({
        id: z.string().min(1),
        text: z.string().min(1).max(100_000),
        embedding: z.array(z.number()).min(1).max(8192).optional(),
      }),
    )
    .max(5000),
  /** The writer's discovered topics from the last run, so topics that continue keep their ids. */
  previous: z
    .array(
      z.object({
        id: z.string().min(1),
        centroid: z.array(z.number()).max(8192),
        memberIds: z.array(z.string().min(1)),
      }),
    )
    .max(500)
    .default([]),
});
export type DiscoverTopicsJob = z.infer<typeof discoverTopicsJobSchema>;

export const discoveredTopicSchema = z.object({
  /** A previous topic's id when this topic continues it, else a new UUID. */
  id: z.string(),
  label: z.string(),
  keywords: z.array(z.string()),
  centroid: z.array(z.number()),
  memberIds: z.array(z.string()),
});

export const discoverTopicsResultSchema = z.object({
  jobId: z.string(),
  userId: z.string(),
  /** The embedding model the topics' centroids live in. */
  model: z.string(),
  topics: z.array(discoveredTopicSchema),
  /** Previous topic ids that no cluster continued: the edge retires them. */
  retiredIds: z.array(z.string()),
});
export type DiscoverTopicsResult = z.infer<typeof discoverTopicsResultSchema>;
