import {
  type AnalyzeEntryJob,
  type AnalyzeEntryResult,
  detectDistortions,
  EMOTION_LABELS,
  type EmotionScore,
  entryEmbeddingText,
  type Sentiment,
} from "@inkwell/shared";
import type { LabelScore } from "../runtime/backend.ts";
import type { InferenceRuntime } from "../runtime/runtime.ts";
import { extractKeywords } from "./keywords.ts";
import { assessSafetyOnNode } from "./safety-meaning.ts";

/**
 * Binary classifiers (the UCI head, a pulled `distilbert-sst2`) have no neutral output: their polarity
 * within ±this counts as neutral, since mixed text sits near 0.
 */
export const NEUTRAL_BAND = 0.2;

/**
 * Sentiment from a classifier's scores. A model with a `neutral` output (the journal heads) is read as
 * it says: the most likely of the three classes. A binary one falls back to the polarity band. Either
 * way the score is polarity, P(positive) − P(negative).
 */
export function toSentiment(scores: readonly LabelScore[]): Sentiment {
  const positive = scores.find((s) => s.label === "positive")?.score ?? 0;
  const negative = scores.find((s) => s.label === "negative")?.score ?? 0;
  const neutral = scores.find((s) => s.label === "neutral")?.score;
  const score = Math.max(-1, Math.min(1, positive - negative));
  let label: Sentiment["label"];
  if (neutral !== undefined) {
    // An exact tie between good and bad is "no clear lean", which the labelling guide calls neutral.
    label =
      (neutral >= positive && neutral >= negative) || positive === negative
        ? "neutral"
        : positive > negative
          ? "positive"
          : "negative";
  } else {
    label = score > NEUTRAL_BAND ? "positive" : score < -NEUTRAL_BAND ? "negative" : "neutral";
  }
  return { label, score: Number(score.toFixed(4)) };
}

const knownEmotions = new Set<string>(EMOTION_LABELS);

/**
 * Every known emotion label with its score, most likely first. The scores are a distribution (softmax
 * models: the journal head, a pulled DistilRoBERTa); a model that leaves labels out, or whose scores do
 * not add up to 1, is renormalised over the labels it gives, so the contract's "add up to 1" holds.
 * Mixed feelings show as two high scores: the journal head learnt them from passages labelled with two.
 */
export function toEmotions(scores: readonly LabelScore[]): EmotionScore[] {
  const known = scores
    .filter((s): s is { label: EmotionScore["label"]; score: number } => knownEmotions.has(s.label))
    .map((s) => ({ label: s.label, score: Number.isFinite(s.score) ? Math.max(0, s.score) : 0 }));
  const total = known.reduce((sum, s) => sum + s.score, 0);
  return known
    .map((s) => ({ label: s.label, score: Number(Math.min(1, total > 0 ? s.score / total : 0).toFixed(4)) }))
    .sort((a, b) => b.score - a.score || a.label.localeCompare(b.label));
}

/** Everything the edge stores about an entry, from one pass over its text; the three models run concurrently. */
export async function analyzeEntry(
  runtime: InferenceRuntime,
  job: AnalyzeEntryJob,
): Promise<AnalyzeEntryResult> {
  const text = entryEmbeddingText(job);
  const [embedding, sentiment, emotions] = await Promise.all([
    runtime.embed([text]),
    runtime.classify("sentiment", [text]),
    runtime.classify("emotion", [text]),
  ]);
  return {
    jobId: job.jobId,
    entryId: job.entryId,
    contentVersion: job.contentVersion,
    embedding: Array.from(embedding.vectors[0] ?? []),
    model: embedding.model,
    dims: embedding.dims,
    sentiment: toSentiment(sentiment.scores[0] ?? []),
    emotions: toEmotions(emotions.scores[0] ?? []),
    keywords: extractKeywords(text),
    safety: await assessSafetyOnNode(runtime, text),
    patterns: detectDistortions(text).patterns,
    models: { embedding: embedding.model, sentiment: sentiment.model, emotion: emotions.model },
  };
}
