import { z } from "zod";
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

export const analyzeEntryResultSchema = z.object({
  jobId: z.string(),
  entryId: z.string(),
  contentVersion: z.number().int().nonnegative(),
  embedding: z.array(z.number()),
  /** The embedding model; the sentiment and emotion models are listed in `models`. */
  model: z.string(),
  dims: z.number().int().positive(),
  sentiment: sentimentSchema,
  /** Every label, most likely first. */
  emotions: z.array(emotionScoreSchema),
  keywords: z.array(z.string()),
  safety: safetyResultSchema,
  models: z.object({ embedding: z.string(), sentiment: z.string(), emotion: z.string() }),
});
export type AnalyzeEntryResult = z.infer<typeof analyzeEntryResultSchema>;
