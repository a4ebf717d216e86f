import { z } from "zod";

/** Job kind (and node route `/jobs/discover-topics`) that finds one writer's topics. */
export const DISCOVER_TOPICS_JOB = "discover-topics";

/** Most entries one discovery run looks at (the writer's most recent ones). */
export const DISCOVER_TOPICS_MAX_ENTRIES = 5000;
/** Most discovered topics one writer keeps from run to run. */
export const DISCOVER_TOPICS_MAX_PREVIOUS = 500;

/**
 * `POST /jobs/discover-topics` (QStash-signed). The edge sends one writer's entries; the node clusters them
 * and answers with the topics, which the edge stores as `topics.kind = 'discovered'` (through QStash's
 * callback, like every job). Entries may carry the embedding the edge keeps in `entry_embeddings`; those
 * without one are embedded on the node. The edge keeps the whole body under a byte budget (QStash caps a
 * message's size), so a long journal is sent as its most recent entries, vectors only where they fit.
 */
export const discoverTopicsJobSchema = z.object({
  jobId: z.string().min(1),
  userId: z.string().min(1),
  /** Which dispatch of the job this delivery is (1-based); a late answer of an earlier attempt is recognised. */
  attempt: z.number().int().positive().optional(),
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
    .max(DISCOVER_TOPICS_MAX_ENTRIES),
  /** The writer's discovered topics from the last run, so topics that continue keep their ids. */
  previous: z
    .array(
      z.object({
        id: z.string().min(1),
        centroid: z.array(z.number()).max(8192),
        memberIds: z.array(z.string().min(1)),
      }),
    )
    .max(DISCOVER_TOPICS_MAX_PREVIOUS)
    .default([]),
});
export type DiscoverTopicsJob = z.infer<typeof discoverTopicsJobSchema>;

/** Most topics one run may answer with: more than any clustering of the entries one job carries. */
export const DISCOVER_TOPICS_MAX_TOPICS = 500;

/** The node's answer is untrusted input: every list and string is bounded. */
export const discoveredTopicSchema = z.object({
  /** A previous topic's id when this topic continues it, else a new UUID. */
  id: z.string().max(200),
  label: z.string().max(200),
  keywords: z.array(z.string().max(200)).max(50),
  centroid: z.array(z.number()).max(8192),
  memberIds: z.array(z.string().max(200)).max(DISCOVER_TOPICS_MAX_ENTRIES),
});
export type DiscoveredTopicResult = z.infer<typeof discoveredTopicSchema>;

export const discoverTopicsResultSchema = z
  .object({
    jobId: z.string().max(200),
    userId: z.string().max(200),
    /** The embedding model the topics' centroids live in. */
    model: z.string().max(200),
    topics: z.array(discoveredTopicSchema).max(DISCOVER_TOPICS_MAX_TOPICS),
    /** Previous topic ids that no cluster continued: the edge retires them. */
    retiredIds: z.array(z.string().max(200)).max(DISCOVER_TOPICS_MAX_PREVIOUS),
  })
  .refine((r) => new Set(r.topics.map((t) => t.centroid.length).filter((n) => n > 0)).size <= 1, {
    error: "every centroid lives in the one model's space, so all have the same dimensions",
  });
export type DiscoverTopicsResult = z.infer<typeof discoverTopicsResultSchema>;
