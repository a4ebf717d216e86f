import { z } from "zod";
import { safetyLevelSchema } from "./safety.ts";

/** Entry content is capped at 64 KiB of UTF-8 (the contract); larger answers 413, not 400. */
export const ENTRY_CONTENT_MAX_BYTES = 64 * 1024;
export const ENTRY_TITLE_MAX_LENGTH = 200;
export const ENTRY_MAX_TAGS = 50;
export const TAG_MAX_LENGTH = 50;
export const ENTRY_MAX_TOPICS = 20;

const isoDateTime = z.iso.datetime({
  offset: true,
  error: "must be an ISO-8601 date-time, e.g. 2026-01-31T21:30:00Z",
});

/** Tags are case-insensitive labels: trimmed, lower-cased, de-duplicated, order kept. */
export const tagsSchema = z
  .array(
    z
      .string({ error: "each tag must be a string" })
      .trim()
      .min(1, { error: "a tag cannot be empty" })
      .max(TAG_MAX_LENGTH, { error: `a tag is at most ${TAG_MAX_LENGTH} characters` }),
  )
  .max(ENTRY_MAX_TAGS, { error: `at most ${ENTRY_MAX_TAGS} tags` })
  .transform((tags) => [...new Set(tags.map((tag) => tag.toLowerCase()))]);

export const moodSchema = z
  .number({ error: "mood must be a number from 1 to 10" })
  .int({ error: "mood must be a whole number" })
  .min(1, { error: "mood must be at least 1" })
  .max(10, { error: "mood must be at most 10" });

const contentSchema = z
  .string({ error: "content is required" })
  .refine((value) => value.trim().length > 0, { error: "content cannot be empty" });

const titleSchema = z
  .string()
  .trim()
  .max(ENTRY_TITLE_MAX_LENGTH, { error: `title is at most ${ENTRY_TITLE_MAX_LENGTH} characters` });

const topicIdsSchema = z
  .array(z.uuid({ error: "must be a topic id" }))
  .max(ENTRY_MAX_TOPICS, { error: `at most ${ENTRY_MAX_TOPICS} topics` })
  .transform((ids) => [...new Set(ids)]);

export const createEntryRequestSchema = z.strictObject({
  content: contentSchema,
  title: titleSchema.nullish(),
  mood: moodSchema.nullish(),
  tags: tagsSchema.optional(),
  topicIds: topicIdsSchema.optional(),
  occurredAt: isoDateTime.optional(),
});
export type CreateEntryRequest = z.infer<typeof createEntryRequestSchema>;

export const updateEntryRequestSchema = z
  .strictObject({
    content: contentSchema.optional(),
    title: titleSchema.nullable().optional(),
    mood: moodSchema.nullable().optional(),
    tags: tagsSchema.optional(),
    topicIds: topicIdsSchema.optional(),
    occurredAt: isoDateTime.optional(),
    favorite: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: "give at least one field to change" });
export type UpdateEntryRequest = z.infer<typeof updateEntryRequestSchema>;

export const sentimentLabels = ["negative", "neutral", "positive"] as const;

export const entryAnalysisSchema = z.object({
  status: z.enum(["pending", "done", "failed"]),
  sentiment: z.object({ label: z.enum(sentimentLabels), score: z.number().min(-1).max(1) }).optional(),
  emotions: z.array(z.object({ label: z.string(), score: z.number() })).optional(),
  keywords: z.array(z.string()).optional(),
  topics: z.array(z.object({ id: z.string(), name: z.string() })).optional(),
  safety: z.object({ level: safetyLevelSchema }).optional(),
  /** Thinking traps (cognitive distortions) found in the entry, with the words that showed each. */
  patterns: z.array(z.object({ label: z.string(), score: z.number(), evidence: z.string() })).optional(),
  model: z.string().optional(),
  analyzedAt: z.string().optional(),
  error: z.string().optional(),
});
export type EntryAnalysis = z.infer<typeof entryAnalysisSchema>;

export const entrySchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  content: z.string(),
  mood: z.number().int().nullable(),
  tags: z.array(z.string()),
  topicIds: z.array(z.string()),
  favorite: z.boolean(),
  wordCount: z.number().int(),
  occurredAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  analysis: entryAnalysisSchema,
  /**
   * The analysis job (`GET /v1/jobs/{id}`): on a write's answer when the write started one, and on every
   * read while `analysis.status` is `pending`.
   */
  jobId: z.string().optional(),
});
export type Entry = z.infer<typeof entrySchema>;

const booleanQuery = z
  .enum(["true", "false"], { error: "must be true or false" })
  .transform((v) => v === "true");

/** `?mood=7` (exactly) or `?mood=3-6` (from 3 to 6, inclusive), on the 1..10 mood scale. */
const moodQuery = z
  .string()
  .trim()
  .regex(/^\d{1,2}(-\d{1,2})?$/, { error: "must be a mood (1 to 10) or a range such as 3-6" })
  .transform((value, ctx) => {
    const [min = 0, max = min] = value.split("-").map(Number);
    if (min < 1 || max > 10 || min > max) {
      ctx.addIssue({ code: "custom", message: "must be a mood from 1 to 10, or a range low-high within it" });
      return z.NEVER;
    }
    return { min, max };
  })
  .describe("A mood (1..10) or an inclusive range such as 3-6; entries without a mood never match");

export const listEntriesQuerySchema = z.object({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  tag: z.string().trim().min(1).max(TAG_MAX_LENGTH).optional(),
  topicId: z.uuid({ error: "must be a topic id" }).optional(),
  favorite: booleanQuery.optional(),
  q: z.string().trim().min(1).max(500).optional(),
  mood: moodQuery.optional(),
  /** The analysis' sentiment label; entries still pending (or failed) never match. */
  sentiment: z.enum(sentimentLabels, { error: `must be one of ${sentimentLabels.join(", ")}` }).optional(),
});
export type ListEntriesQuery = z.infer<typeof listEntriesQuerySchema>;

export const searchModes = ["hybrid", "semantic", "keyword"] as const;
export const searchQuerySchema = z.object({
  q: z.string({ error: "q is required" }).trim().min(1, { error: "q cannot be empty" }).max(500),
  mode: z.enum(searchModes).default("hybrid"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});

export const searchResultSchema = z.object({
  items: z.array(
    z.object({
      entry: z.object({
        id: z.string(),
        title: z.string().nullable(),
        snippet: z
          .string()
          .describe(
            "Safe HTML: the entry's text with `&`, `<`, `>`, `\"` and `'` escaped, and matched words wrapped in `<mark>`; no other markup ever appears.",
          ),
        occurredAt: z.string(),
      }),
      score: z.number(),
    }),
  ),
  mode: z.enum(searchModes),
  degraded: z.boolean(),
});

export const jobStatuses = ["queued", "running", "done", "failed"] as const;
export const jobSchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.enum(jobStatuses),
  attempts: z.number().int(),
  nodeId: z.string().nullable().optional(),
  entryId: z.string().nullable().optional(),
  createdAt: z.string(),
  finishedAt: z.string().nullable().optional(),
  error: z.string().nullable().optional(),
});

export const topicColorSchema = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, { error: "color must look like #4f46e5" });
export const createTopicRequestSchema = z.strictObject({
  name: z.string({ error: "name is required" }).trim().min(1, { error: "name cannot be empty" }).max(80),
  description: z.string().trim().max(500).nullish(),
  color: topicColorSchema.nullish(),
});
export const updateTopicRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(80).optional(),
    description: z.string().trim().max(500).nullable().optional(),
    color: topicColorSchema.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: "give at least one field to change" });

export const topicSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  color: z.string().nullable(),
  kind: z.enum(["user", "discovered"]),
  /** Discovered topics: their most distinctive words, best first (the name is the first few). Empty for yours. */
  keywords: z.array(z.string()),
  entryCount: z.number().int(),
  /** Entries in the last 30 days against the 30 before. */
  trend: z.object({
    last30Days: z.number().int(),
    previous30Days: z.number().int(),
    direction: z.enum(["up", "down", "flat"]),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Topic = z.infer<typeof topicSchema>;

/** Words as a reader counts them: runs of letters or digits, in any script. */
export function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu)?.length ?? 0;
}
