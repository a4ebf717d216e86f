import {
  type AnalyzeEntryJob,
  type AnalyzeEntryResult,
  assessSafety,
  detectDistortions,
  EMOTION_LABELS,
  type EmotionScore,
  type Sentiment,
} from "@inkwell/shared";
import type { LabelScore } from "../runtime/backend.ts";
import type { InferenceRuntime } from "../runtime/runtime.ts";
import { extractKeywords } from "./keywords.ts";

/** Polarity within ±this counts as neutral: the classifiers are binary, and mixed text sits near 0. */
export const NEUTRAL_BAND = 0.2;

export function toSentiment(scores: readonly LabelScore[]): Sentiment {
  const positive = scores.find((s) => s.label === "positive")?.score ?? 0;
  const negative = scores.find((s) => s.label === "negative")?.score ?? 0;
  const score = Math.max(-1, Math.min(1, positive - negative));
  const label = score > NEUTRAL_BAND ? "positive" : score < -NEUTRAL_BAND ? "negative" : "neutral";
  return { label, score: Number(score.toFixed(4)) };
}

const knownEmotions = new Set<string>(EMOTION_LABELS);

export function toEmotions(scores: readonly LabelScore[]): EmotionScore[] {
  return scores
    .filter((s): s is { label: EmotionScore["label"]; score: number } => knownEmotions.has(s.label))
    .map((s) => ({ label: s.label, score: Number(Math.min(1, Math.max(0, s.score)).toFixed(4)) }))
    .sort((a, b) => b.score - a.score || a.label.localeCompare(b.label));
}

/** Everything the edge stores about an entry, from one pass over its text; the three models run concurrently. */
export async function analyzeEntry(
  runtime: InferenceRuntime,
  job: AnalyzeEntryJob,
): Promise<AnalyzeEntryResult> {
  const text = job.title ? `${job.title}\n\n${job.content}` : job.content;
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
    safety: assessSafety(text),
    patterns: detectDistortions(text).patterns,
    models: { embedding: embedding.model, sentiment: sentiment.model, emotion: emotions.model },
  };
}
