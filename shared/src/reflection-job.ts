import { z } from "zod";
import { SENTIMENT_LABELS } from "./inference.ts";
import {
  generatedReflectionSchema,
  reflectionPeriodSchema,
  reflectionStatsSchema,
  reflectionThemesSchema,
} from "./insights.ts";

/**
 * `POST /jobs/write-reflection` (QStash): what a node's language model writes a reflection from. The
 * edge picks the entries and trims them to a token budget; the node quotes them as data in its prompt.
 */

/** Longest excerpt of one entry, in characters. */
export const REFLECTION_EXCERPT_CHARS = 600;
/** Most entries one reflection job carries. */
export const REFLECTION_MAX_ENTRIES = 24;
/** Tokens all excerpts together may take (~4 characters a token), leaving room in a 4k context. */
export const REFLECTION_ENTRY_TOKEN_BUDGET = 1_600;
/** Longest answer the model may write. */
export const REFLECTION_MAX_TOKENS = 450;

/** Rough token count of a text: ~4 characters a token for English prose. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export const reflectionExcerptSchema = z.object({
  id: z.string().min(1).max(200),
  occurredAt: z.string().max(40),
  /** The writer's local calendar date, YYYY-MM-DD. */
  localDate: z.string().max(10),
  title: z.string().max(1000).optional(),
  /** The entry's text, cut at `REFLECTION_EXCERPT_CHARS` (then `truncated`). */
  excerpt: z.string().max(4 * REFLECTION_EXCERPT_CHARS),
  truncated: z.boolean(),
  mood: z.number().int().min(1).max(10).optional(),
  sentiment: z.enum(SENTIMENT_LABELS).optional(),
  /** Why the entry stands out in the period (highest-sentiment, lowest-sentiment, longest), if it does. */
  notable: z.array(z.string().max(40)).max(5).optional(),
});
export type ReflectionExcerpt = z.infer<typeof reflectionExcerptSchema>;

export const writeReflectionJobSchema = z.object({
  jobId: z.string().min(1).max(200),
  attempt: z.number().int().positive().optional(),
  reflectionId: z.string().min(1).max(200),
  period: reflectionPeriodSchema,
  periodStart: z.string().max(40),
  periodEnd: z.string().max(40),
  timezone: z.string().max(100),
  stats: reflectionStatsSchema,
  themes: reflectionThemesSchema,
  /** Chronological; the only entries the reflection may cite. */
  entries: z.array(reflectionExcerptSchema).max(100),
  /** Entries of the period left out to stay within the budget. */
  omittedEntries: z.number().int().nonnegative(),
  maxTokens: z.number().int().min(16).max(2048).default(REFLECTION_MAX_TOKENS),
});
export type WriteReflectionJob = z.input<typeof writeReflectionJobSchema>;

/** The node's answer: text citing `[entry:ID]`, and the ids it cited (only ids it was given). */
export const writeReflectionResultSchema = generatedReflectionSchema.extend({
  jobId: z.string().max(200),
  reflectionId: z.string().max(200),
  finishReason: z.enum(["stop", "length", "timeout"]).optional(),
});
export type WriteReflectionResult = z.infer<typeof writeReflectionResultSchema>;

/** `[entry:ID]` markers, as the model is asked to write them. */
export const ENTRY_MARKER = /\[entry:([A-Za-z0-9_.:-]{1,80})\]/g;

/**
 * Keeps the markers of allowed ids and removes every other one (an invented or foreign id must not
 * survive in the text either); answers the cleaned text and the cited ids in order of first mention.
 */
export function keepAllowedCitations(
  text: string,
  allowed: ReadonlySet<string>,
): { text: string; citations: { entryId: string }[] } {
  const cited: string[] = [];
  const cleaned = text
    .replace(ENTRY_MARKER, (marker, id: string) => {
      if (!allowed.has(id)) return "";
      if (!cited.includes(id)) cited.push(id);
      return marker;
    })
    // A removed marker leaves "word ." or a double space behind.
    .replace(/[ \t]+([.,;:!?])/g, "$1")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
  return { text: cleaned, citations: cited.map((entryId) => ({ entryId })) };
}
