import { z } from "zod";
import { tagsSchema } from "./entries.ts";

/**
 * Tag and topic suggestions: for a saved entry from its analysis (`GET /v1/entries/{id}/suggested-tags`),
 * and for a draft before it is saved (`POST /v1/entries/suggest-tags`), from what the edge computes without
 * a node (the text's keywords) and the writer's own tags and topics.
 */

/**
 * Where a suggested tag comes from: `your-tag`, a tag the writer already uses on other entries whose words
 * the text has; `topic`, a discovered topic the entry belongs to; `keyword`, one of the text's keywords.
 */
export const tagSuggestionSources = ["your-tag", "topic", "keyword"] as const;

export const suggestedTagSchema = z.object({
  tag: z.string(),
  source: z.enum(tagSuggestionSources),
  /** For `topic`: the topic it names. */
  topicId: z.string().optional(),
  /** For `your-tag`: on how many of your entries it already is. */
  entryCount: z.number().int().optional(),
});
export type SuggestedTag = z.infer<typeof suggestedTagSchema>;

export const suggestedTagsQuerySchema = z.object({
  limit: z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(20, { error: "must be at most 20" })
    .default(8),
});

export const entryTagSuggestionsSchema = z.object({
  entryId: z.string(),
  /**
   * `analysis`: the keywords and discovered topics of the entry's finished analysis of its current text;
   * `text`: keywords computed from the current text while its analysis is pending or failed.
   */
  basis: z.enum(["analysis", "text"]),
  /** The tags the entry has now; to accept suggestions, PATCH the entry with these plus the ones chosen. */
  tags: z.array(z.string()),
  items: z.array(suggestedTagSchema),
});
export type EntryTagSuggestions = z.infer<typeof entryTagSuggestionsSchema>;

/** Over 64 KiB of UTF-8 (as for entries) answers 413, not 400. */
const draftContentSchema = z
  .string({ error: "content is required" })
  .refine((value) => value.trim().length > 0, { error: "content cannot be empty" });

export const draftTagSuggestionRequestSchema = z.strictObject({
  content: draftContentSchema,
  title: z.string().trim().max(200, { error: "title is at most 200 characters" }).nullish(),
  /** Tags already chosen for the draft: never suggested again. */
  tags: tagsSchema.optional(),
  limit: z
    .number({ error: "limit must be a number" })
    .int({ error: "limit must be a whole number" })
    .min(1, { error: "limit must be at least 1" })
    .max(20, { error: "limit must be at most 20" })
    .optional(),
});
export type DraftTagSuggestionRequest = z.infer<typeof draftTagSuggestionRequestSchema>;

/** A topic of the writer's that shares words with the draft. */
export const suggestedTopicSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(["user", "discovered"]),
  /** The draft's words it matched, by the topic's name or (discovered topics) its keywords. */
  matched: z.array(z.string()),
});

export const draftTagSuggestionsSchema = z.object({
  /** The draft's keywords, as an analysis would find them. */
  keywords: z.array(z.string()),
  tags: z.array(suggestedTagSchema),
  /** Topics to file the draft under (`topicIds` when creating the entry), best first. */
  topics: z.array(suggestedTopicSchema),
});
export type DraftTagSuggestions = z.infer<typeof draftTagSuggestionsSchema>;
