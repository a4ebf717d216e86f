import { z } from "zod";
import { distortionPatternSchema } from "./distortions.ts";
import { safetyResultSchema } from "./safety.ts";

/** Contracts between the edge and the inference nodes' model endpoints. */

export const EMBED_MAX_TEXTS = 64;
/** Characters per text; a journal entry is far shorter, and the node truncates to the model's window. */
export const EMBED_MAX_TEXT_LENGTH = 20_000;

/** `POST /v1/embed` (edge-signed): query embeddings for search. */
export const embedRequestSchema = z.object({
  texts: z.array(z.string().max(EMBED_MAX_TEXT_LENGTH)).min(1).max(EMBED_MAX_TEXTS),
});
export type EmbedRequest = z.infer<typeof embedRequestSchema>;

export const embedResponseSchema = z.object({
  /** Vectors from different models are not comparable: store and search them per model. */
  model: z.string(),
  dims: z.number().int().positive(),
  /** L2-normalised, one per input text, in order. */
  embeddings: z.array(z.array(z.number())),
});
export type EmbedResponse = z.infer<typeof embedResponseSchema>;

/** `POST /jobs/analyze-entry` (QStash): the job body the edge publishes when an entry is written. */
export const analyzeEntryJobSchema = z.object({
  jobId: z.string().min(1).max(200),
  entryId: z.string().min(1).max(200),
  userId: z.string().min(1).max(200),
  /** Lets the edge drop a result computed for an older version of the entry. */
  contentVersion: z.number().int().nonnegative(),
  content: z.string().max(100_000),
  title: z.string().max(1000).optional(),
  /** Which dispatch of the job this delivery is (1-based); a late answer of an earlier attempt is recognised. */
  attempt: z.number().int().positive().optional(),
  /** Stored with the vector so search can filter by date without a round trip to Postgres. */
  occurredAt: z.string().optional(),
});
export type AnalyzeEntryJob = z.infer<typeof analyzeEntryJobSchema>;

export const SENTIMENT_LABELS = ["negative", "neutral", "positive"] as const;
export const EMOTION_LABELS = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"] as const;

export const sentimentSchema = z.object({
  label: z.enum(SENTIMENT_LABELS),
  /** Polarity from -1 (negative) through 0 to 1 (positive): P(positive) − P(negative). */
  score: z.number().min(-1).max(1),
});
export type Sentiment = z.infer<typeof sentimentSchema>;

export const emotionScoreSchema = z.object({
  label: z.enum(EMOTION_LABELS),
  /** Probability; the scores of one entry add up to 1. */
  score: z.number().min(0).max(1),
});
export type EmotionScore = z.infer<typeof emotionScoreSchema>;

/** Widest embedding a node may return: larger than any model the nodes serve. */
export const EMBEDDING_MAX_DIMS = 8192;
export const ANALYSIS_MAX_KEYWORDS = 50;
export const ANALYSIS_KEYWORD_MAX_CHARS = 200;
export const ANALYSIS_MAX_PATTERNS = 32;
export const ANALYSIS_EVIDENCE_MAX_CHARS = 1000;
const modelIdSchema = z.string().min(1).max(200);

/** No label twice: a repeated label would count twice in every distribution built from it. */
function distinctLabels(items: readonly { label: string }[]): boolean {
  return new Set(items.map((i) => i.label)).size === items.length;
}

/**
 * A node's answer is untrusted input to the edge: every list and string is bounded, labels come from
 * closed sets without repeats, and the vector has exactly the dimensions it claims.
 */
export const analyzeEntryResultSchema = z
  .object({
    jobId: z.string().max(200),
    entryId: z.string().max(200),
    contentVersion: z.number().int().nonnegative(),
    embedding: z.array(z.number()).min(1).max(EMBEDDING_MAX_DIMS),
    /** The embedding model; the sentiment and emotion models are listed in `models`. */
    model: modelIdSchema,
    dims: z.number().int().positive().max(EMBEDDING_MAX_DIMS),
    sentiment: sentimentSchema,
    /** Every label, most likely first. */
    emotions: z
      .array(emotionScoreSchema)
      .max(EMOTION_LABELS.length)
      .refine(distinctLabels, { error: "each emotion label at most once" }),
    keywords: z.array(z.string().max(ANALYSIS_KEYWORD_MAX_CHARS)).max(ANALYSIS_MAX_KEYWORDS),
    safety: safetyResultSchema,
    models: z.object({ embedding: modelIdSchema, sentiment: modelIdSchema, emotion: modelIdSchema }),
    /** Whether the node also upserted the vector into Chroma; false: the edge restores it from Postgres. */
    indexed: z.boolean().optional(),
    /** Thinking traps the text shows (cognitive distortions), strongest first; absent from older nodes. */
    patterns: z
      .array(
        distortionPatternSchema.refine((p) => p.evidence.length <= ANALYSIS_EVIDENCE_MAX_CHARS, {
          error: `evidence is at most ${ANALYSIS_EVIDENCE_MAX_CHARS} characters`,
        }),
      )
      .max(ANALYSIS_MAX_PATTERNS)
      .refine(distinctLabels, { error: "each pattern label at most once" })
      .optional(),
  })
  .refine((r) => r.embedding.length === r.dims, { error: "the embedding must have `dims` numbers" });
export type AnalyzeEntryResult = z.infer<typeof analyzeEntryResultSchema>;

const collectionSafe = (model: string) => model.replace(/[^a-zA-Z0-9._-]/g, "-");

/**
 * The per-model collection nodes kept every writer's vectors in before each writer had collections of
 * their own (`writerVectorCollectionName`); a node moves what it finds there and reads it until then.
 * Vectors of different models are not comparable, so collections are per model either way.
 */
export function vectorCollectionName(model: string): string {
  return `entries-${collectionSafe(model)}`;
}

/**
 * The sentence windows (`sentenceChunks`) of long entries, per model beside the whole-entry vectors: a
 * collection of their own, so a nearest-entry query never meets a sentence and a window never takes an
 * entry's place among the top results. Per model as nodes kept them before per-writer collections
 * (`writerChunkCollectionName`).
 */
export function chunkCollectionName(model: string): string {
  return `entry-chunks-${collectionSafe(model)}`;
}

/** What every per-writer collection's name starts with; no per-model name (`entries-`, `entry-chunks-`) does. */
export const WRITER_COLLECTION_PREFIX = "w_";

/**
 * A writer's id as it goes into a collection name: as it is when it is a plain id (a UUID), else its UTF-8
 * bytes in hex after a period, which no plain id contains. Either way it has no underscore, so the name
 * reads back unambiguously, and it ends with a letter or digit, as Chroma wants a name to end.
 */
function writerKey(userId: string): string {
  if (/^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(userId)) return userId;
  const hex = [...new TextEncoder().encode(userId)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `u.${hex}`;
}

/**
 * One writer's whole-entry vectors of one model: each writer has an index of their own, so a search
 * costs what that writer's journal holds, not what everyone's does. The writer comes last, after the
 * model (which may hold underscores), so two (model, writer) pairs never share a name; at most 247
 * characters for a 200-character model id, within Chroma's 3–512.
 */
export function writerVectorCollectionName(model: string, userId: string): string {
  return `${WRITER_COLLECTION_PREFIX}${collectionSafe(model)}_entries_${writerKey(userId)}`;
}

/** One writer's sentence windows of one model, beside `writerVectorCollectionName`. */
export function writerChunkCollectionName(model: string, userId: string): string {
  return `${WRITER_COLLECTION_PREFIX}${collectionSafe(model)}_chunks_${writerKey(userId)}`;
}

/** `POST /jobs/purge-entry-vectors` (QStash): removes vectors of deleted entries, or every vector of a user. */
export const purgeVectorsJobSchema = z
  .object({
    jobId: z.string().min(1).max(200),
    attempt: z.number().int().positive().optional(),
    entryIds: z.array(z.string().min(1).max(200)).max(1000).default([]),
    /**
     * With no entry ids: every vector of this user (account deletion). With entry ids: the writer they
     * belong to, so the node looks only in that writer's collections; an older edge sends none, and the
     * node then looks in every collection.
     */
    userId: z.string().min(1).max(200).optional(),
  })
  .refine((job) => job.entryIds.length > 0 || job.userId !== undefined, {
    error: "give entryIds or userId",
  });
export type PurgeVectorsJob = z.infer<typeof purgeVectorsJobSchema>;

export const purgeVectorsResultSchema = z.object({
  jobId: z.string(),
  /** False when the node has no CHROMA_URL: nothing was removed, and the edge must not count it done. */
  purged: z.boolean(),
});
export type PurgeVectorsResult = z.infer<typeof purgeVectorsResultSchema>;

/** Vectors per reindex job: a page of 100-d vectors is ~100 KB, well under QStash's message size limit. */
export const REINDEX_PAGE_SIZE = 100;

export const vectorRecordSchema = z.object({
  entryId: z.string().min(1).max(200),
  userId: z.string().min(1).max(200),
  occurredAt: z.string(),
  embedding: z.array(z.number()).min(1).max(8192),
  /**
   * The entry's content version the vector was computed from. Chroma keeps it beside the vector and
   * refuses a write older than what it holds, so a late delivery never replaces a newer vector.
   * Absent from older edges: then the vector only fills a place that holds no versioned vector.
   */
  contentVersion: z.number().int().nonnegative().optional(),
});
export type VectorRecord = z.infer<typeof vectorRecordSchema>;

/** `POST /jobs/reindex` (QStash): one page of vectors from Postgres, the source of truth, into Chroma. */
export const reindexJobSchema = z.object({
  jobId: z.string().min(1).max(200),
  attempt: z.number().int().positive().optional(),
  model: z.string().min(1).max(200),
  dims: z.number().int().positive(),
  items: z.array(vectorRecordSchema).max(1000),
});
export type ReindexJob = z.infer<typeof reindexJobSchema>;

export const reindexResultSchema = z.object({
  jobId: z.string(),
  upserted: z.number().int().nonnegative(),
  /** False when the node has no CHROMA_URL. */
  indexed: z.boolean(),
});
export type ReindexResult = z.infer<typeof reindexResultSchema>;

/** Vector records one `POST /jobs/list-vectors` page reads from Chroma. */
export const LIST_VECTORS_PAGE_SIZE = 500;

/** Where a listing of the node's Chroma goes on: a collection, and how many of its records were read. */
export const vectorListCursorSchema = z.object({
  collection: z.string().min(1).max(300),
  offset: z.number().int().nonnegative(),
});
export type VectorListCursor = z.infer<typeof vectorListCursorSchema>;

/** Entries one check page of the reconciliation asks about. */
export const CHECK_VECTORS_PAGE_SIZE = 500;

/** An entry whose vector Postgres says the index holds: the node answers whether it does. */
export const checkedVectorSchema = z.object({
  entryId: z.string().min(1).max(200),
  userId: z.string().min(1).max(200),
  contentVersion: z.number().int().nonnegative(),
});
export type CheckedVector = z.infer<typeof checkedVectorSchema>;

/**
 * `POST /jobs/list-vectors` (QStash): one page of the edge's Postgres <-> Chroma reconciliation. With a
 * `cursor`, one page of what the shared Chroma holds (entry vectors and sentence windows alike), for the
 * edge to check against Postgres; `cursor: null` starts at the first collection. With `check`, which of
 * these entries' vectors (of at least that content version) the index lacks. With `restore`, vectors from
 * Postgres written back where they are missing, never over a newer version.
 */
export const listVectorsJobSchema = z.object({
  jobId: z.string().min(1).max(200),
  attempt: z.number().int().positive().optional(),
  /** Absent: nothing is listed (a check or restore page). */
  cursor: vectorListCursorSchema.nullable().optional(),
  limit: z.number().int().positive().max(LIST_VECTORS_PAGE_SIZE),
  check: z
    .object({
      model: z.string().min(1).max(200),
      items: z.array(checkedVectorSchema).max(CHECK_VECTORS_PAGE_SIZE),
    })
    .optional(),
  restore: z
    .object({
      model: z.string().min(1).max(200),
      dims: z.number().int().positive(),
      items: z.array(vectorRecordSchema).max(REINDEX_PAGE_SIZE),
    })
    .optional(),
});
export type ListVectorsJob = z.infer<typeof listVectorsJobSchema>;

export const listedVectorSchema = z.object({
  entryId: z.string().min(1).max(200),
  userId: z.string().min(1).max(200),
  /** Null for a vector written before versions were kept. */
  contentVersion: z.number().int().nonnegative().nullable(),
});
export type ListedVector = z.infer<typeof listedVectorSchema>;

export const listVectorsResultSchema = z.object({
  jobId: z.string(),
  /** False when the node has no CHROMA_URL: nothing was listed, and the edge must ask another node. */
  indexed: z.boolean(),
  /** One per entry the page's records belong to (an entry's windows are listed once). */
  items: z.array(listedVectorSchema).max(LIST_VECTORS_PAGE_SIZE),
  /** Where the next page starts; null once every collection has been read. */
  next: vectorListCursorSchema.nullable(),
  /**
   * For a `check`: the entries whose vector is absent or older than the version asked about. The edge
   * acts only on the UUIDs of the page it sent and drops anything else, so one stray id does not lose
   * the page.
   */
  missing: z.array(z.string().min(1).max(200)).max(CHECK_VECTORS_PAGE_SIZE).optional(),
  /** For a `restore`: how many vectors were sent to the index (older ones than it holds are refused). */
  restored: z.number().int().nonnegative().optional(),
});
export type ListVectorsResult = z.infer<typeof listVectorsResultSchema>;
