import { z } from "zod";

/**
 * Insights: aggregates over a writer's entries and their analyses, always in the writer's own time
 * zone. Ranges are half-open, `[from, to)`, like the entry list's `from`/`to`.
 */

const isoDateTime = z.iso.datetime({
  offset: true,
  error: "must be an ISO-8601 date-time, e.g. 2026-01-31T21:30:00Z",
});

export const insightBuckets = ["day", "week", "month"] as const;
export const insightBucketSchema = z.enum(insightBuckets, { error: "must be day, week or month" });
export type InsightBucket = z.infer<typeof insightBucketSchema>;

export const reflectionPeriods = ["week", "month"] as const;
export const reflectionPeriodSchema = z.enum(reflectionPeriods, { error: "must be week or month" });
export type ReflectionPeriod = z.infer<typeof reflectionPeriodSchema>;

export const insightRangeQuerySchema = z.object({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});
export type InsightRangeQuery = z.infer<typeof insightRangeQuerySchema>;

export const moodInsightsQuerySchema = insightRangeQuerySchema.extend({
  bucket: insightBucketSchema.default("day"),
});
export type MoodInsightsQuery = z.infer<typeof moodInsightsQuerySchema>;

export const topicInsightsQuerySchema = insightRangeQuerySchema.extend({
  bucket: insightBucketSchema.default("week"),
  limit: z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(50, { error: "must be at most 50" })
    .default(10),
});
export type TopicInsightsQuery = z.infer<typeof topicInsightsQuerySchema>;

export const growthQuerySchema = z.object({
  period: reflectionPeriodSchema.default("week"),
  /** Compare the period containing this instant with the one before it; defaults to now. */
  at: isoDateTime.optional(),
});
export type GrowthQuery = z.infer<typeof growthQuerySchema>;

/** The range an answer actually covers, after defaults were applied. */
const rangeSchema = z.object({ from: z.string(), to: z.string(), timezone: z.string() });

const bucketStartFields = {
  /** The UTC instant at which the local bucket begins (local midnight; Monday for weeks). */
  bucketStart: z.string(),
  /** The same start as a local calendar date, `YYYY-MM-DD`. */
  localDate: z.string(),
};

export const moodPointSchema = z.object({
  ...bucketStartFields,
  entryCount: z.number().int(),
  /**
   * Mean of the 1..10 moods of the bucket: the entries' own (over those that have one) and every
   * check-in's, each one rating; null when there are none.
   */
  avgMood: z.number().nullable(),
  /** Mean analysed sentiment score (-1..1) over finished analyses; null when there are none. */
  avgSentiment: z.number().nullable(),
  /** Ratings averaged: entries with a mood, and mood check-ins. */
  moodCount: z.number().int(),
  analyzedCount: z.number().int(),
});
export type MoodPoint = z.infer<typeof moodPointSchema>;

export const moodInsightsSchema = rangeSchema.extend({
  bucket: insightBucketSchema,
  items: z.array(moodPointSchema),
});
export type MoodInsights = z.infer<typeof moodInsightsSchema>;

export const emotionShareSchema = z.object({
  label: z.string(),
  /** count / analysedEntries: the shares of all labels add up to 1. */
  share: z.number(),
  /** Entries whose strongest emotion is this label. */
  count: z.number().int(),
  /** Entries in which the label appears at all, strongest or not. */
  mentions: z.number().int(),
  /** Mean score of the label over the entries it appears in. */
  avgScore: z.number(),
});
export type EmotionShare = z.infer<typeof emotionShareSchema>;

export const emotionInsightsSchema = rangeSchema.extend({
  /** Entries in range with a finished analysis that names at least one emotion. */
  analyzedEntries: z.number().int(),
  items: z.array(emotionShareSchema),
});
export type EmotionInsights = z.infer<typeof emotionInsightsSchema>;

export const weekdayNames = [
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
] as const;

export const writingInsightsSchema = z.object({
  timezone: z.string(),
  totalEntries: z.number().int(),
  totalWords: z.number().int(),
  /** Local calendar days with at least one entry. */
  activeDays: z.number().int(),
  /** Consecutive local days up to today, or up to yesterday while today has no entry yet. */
  currentStreakDays: z.number().int(),
  longestStreakDays: z.number().int(),
  /** The local dates the longest streak spans (the most recent one on a tie). */
  longestStreak: z.object({ start: z.string(), end: z.string() }).nullable(),
  firstEntryAt: z.string().nullable(),
  lastEntryAt: z.string().nullable(),
  /** ISO weekdays, Monday (1) first, always seven items. */
  byWeekday: z.array(
    z.object({
      weekday: z.number().int(),
      name: z.enum(weekdayNames),
      count: z.number().int(),
      words: z.number().int(),
    }),
  ),
  /** Local hours 0..23, always 24 items. */
  byHour: z.array(z.object({ hour: z.number().int(), count: z.number().int(), words: z.number().int() })),
});
export type WritingInsights = z.infer<typeof writingInsightsSchema>;

export const topicInsightsSchema = rangeSchema.extend({
  bucket: insightBucketSchema,
  buckets: z.array(z.object(bucketStartFields)),
  /** Topics with entries in range, most entries first; `counts[i]` belongs to `buckets[i]`. */
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      kind: z.enum(["user", "discovered"]),
      color: z.string().nullable(),
      total: z.number().int(),
      counts: z.array(z.number().int()),
    }),
  ),
});
export type TopicInsights = z.infer<typeof topicInsightsSchema>;

/** A whole-number query option, `min..max`, with its default. */
function wholeNumberParam(min: number, max: number, fallback: number) {
  return z.coerce
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);
}

/**
 * Mood of a group of entries, measured as the mood series measures it: the entries' own 1..10 mood
 * (over those that have one) and the mean sentiment of their finished analyses.
 */
const moodFigureFields = {
  entryCount: z.number().int(),
  /** Ratings averaged: entries with a mood, and mood check-ins (never per topic: they have none). */
  moodCount: z.number().int(),
  /** Mean of the entries' own 1..10 mood and the check-ins' moods; null when there are none. */
  avgMood: z.number().nullable(),
  analyzedCount: z.number().int(),
  /** Mean analysed sentiment (-1..1) over finished analyses; null when there are none. */
  avgSentiment: z.number().nullable(),
};
export const moodFiguresSchema = z.object(moodFigureFields);
export type MoodFigures = z.infer<typeof moodFiguresSchema>;

export const moodByTimeSchema = rangeSchema.extend({
  /** ISO weekdays of the entries' local time, Monday (1) first, always seven items. */
  byWeekday: z.array(
    z.object({ weekday: z.number().int(), name: z.enum(weekdayNames), ...moodFigureFields }),
  ),
  /** Local hours 0..23, always 24 items. */
  byHour: z.array(z.object({ hour: z.number().int(), ...moodFigureFields })),
});
export type MoodByTime = z.infer<typeof moodByTimeSchema>;

export const moodTopicsQuerySchema = insightRangeQuerySchema.extend({ limit: wholeNumberParam(1, 50, 10) });
export type MoodTopicsQuery = z.infer<typeof moodTopicsQuerySchema>;

export const moodTopicsSchema = rangeSchema.extend({
  /** Every entry of the range, with or without a topic: the baseline the deltas compare against. */
  overall: moodFiguresSchema,
  /** Topics with entries in range, most entries first. */
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      kind: z.enum(["user", "discovered"]),
      color: z.string().nullable(),
      ...moodFigureFields,
      /** avgMood - overall.avgMood, when both exist. */
      moodDelta: z.number().nullable(),
      /** avgSentiment - overall.avgSentiment, when both exist. */
      sentimentDelta: z.number().nullable(),
    }),
  ),
});
export type MoodTopics = z.infer<typeof moodTopicsSchema>;

/** Windows for mood stability: a day holds a single daily mean, so it has no spread of its own. */
export const stabilityBuckets = ["week", "month"] as const;
export const moodStabilityQuerySchema = insightRangeQuerySchema.extend({
  bucket: z.enum(stabilityBuckets, { error: "must be week or month" }).default("week"),
});
export type MoodStabilityQuery = z.infer<typeof moodStabilityQuerySchema>;

/** How much one measure moved from local day to local day (each day is the mean of its entries). */
export const variabilitySchema = z.object({
  /** Local days with a value. */
  days: z.number().int(),
  mean: z.number().nullable(),
  /** Sample standard deviation of the daily values; null under two days. */
  sd: z.number().nullable(),
  /** Root mean square of the changes between consecutive calendar days that both have a value. */
  rmssd: z.number().nullable(),
  /** How many such pairs of consecutive days there were. */
  pairs: z.number().int(),
  min: z.number().nullable(),
  max: z.number().nullable(),
});
export type Variability = z.infer<typeof variabilitySchema>;

const stabilityFields = { mood: variabilitySchema, sentiment: variabilitySchema };

export const moodStabilitySchema = rangeSchema.extend({
  bucket: z.enum(stabilityBuckets),
  /** The whole range as one window. */
  overall: z.object(stabilityFields),
  /** Every local week or month the range touches, quiet ones with zeros and nulls. */
  items: z.array(z.object({ ...bucketStartFields, ...stabilityFields })),
});
export type MoodStability = z.infer<typeof moodStabilitySchema>;

/** Lower bounds of the word-count bins; each bin runs up to the next bound, the last one has none. */
export const wordCountBinBounds = [0, 50, 100, 250, 500, 1000, 2000] as const;

export const wordCountsSchema = rangeSchema.extend({
  entryCount: z.number().int(),
  totalWords: z.number().int(),
  mean: z.number().nullable(),
  /** Percentiles of the entries' word counts (linear interpolation); null without entries. */
  p25: z.number().nullable(),
  median: z.number().nullable(),
  p75: z.number().nullable(),
  p90: z.number().nullable(),
  min: z.number().int().nullable(),
  max: z.number().int().nullable(),
  /** Always one item per bound: `min <= wordCount < max` (`max` null for the last, open bin). */
  bins: z.array(
    z.object({
      min: z.number().int(),
      max: z.number().int().nullable(),
      count: z.number().int(),
      /** count / entryCount; 0 without entries. */
      share: z.number(),
    }),
  ),
});
export type WordCounts = z.infer<typeof wordCountsSchema>;

export const streaksQuerySchema = z.object({
  /** How many streaks of each kind, longest first. */
  limit: wholeNumberParam(1, 10, 3),
  /** A day whose mean mood is at least this is a good day. */
  goodMood: wholeNumberParam(1, 10, 7),
  /** A day whose mean mood is at most this is a low day; must be below goodMood. */
  lowMood: wholeNumberParam(1, 10, 4),
});
export type StreaksQuery = z.infer<typeof streaksQuerySchema>;

const streakSchema = z.object({
  /** First and last local date of the run, `YYYY-MM-DD`. */
  start: z.string(),
  end: z.string(),
  days: z.number().int(),
  entries: z.number().int(),
});

const moodStreakSchema = streakSchema.extend({
  /** Mood check-ins logged over the run (a day may have check-ins and no entry). */
  checkins: z.number().int(),
  /** Mean over the run of the entries' own moods and the check-ins' moods, each one rating. */
  avgMood: z.number(),
});

export const streakInsightsSchema = z.object({
  timezone: z.string(),
  goodMood: z.number().int(),
  lowMood: z.number().int(),
  writing: z.object({
    /** Longest runs of consecutive local days with an entry (ties: the most recent first). */
    best: z.array(streakSchema),
    /** Longest runs of days without an entry between two writing days. */
    gaps: z.array(z.object({ start: z.string(), end: z.string(), days: z.number().int() })),
  }),
  mood: z.object({
    /**
     * Longest runs of consecutive local days, each with a mean mood of at least goodMood (entries' moods
     * and check-ins together); writing runs count entries only.
     */
    best: z.array(moodStreakSchema),
    /** Longest runs of consecutive local days, each with a mean mood of at most lowMood. */
    worst: z.array(moodStreakSchema),
  }),
});
export type StreakInsights = z.infer<typeof streakInsightsSchema>;

const periodWindowSchema = z.object({
  start: z.string(),
  end: z.string(),
  localStart: z.string(),
  /** Calendar days in the period. */
  days: z.number().int(),
  /** Days of it that have begun (the current period is usually still running). */
  elapsedDays: z.number().int(),
});

const sentimentTrendSchema = z.object({
  /** Least-squares slope of the daily mean sentiment against the day index, per day; null under two days. */
  slopePerDay: z.number().nullable(),
  /** Mean over the days that have analysed entries. */
  meanDaily: z.number().nullable(),
  daysWithSentiment: z.number().int(),
  daily: z.array(z.object({ localDate: z.string(), day: z.number().int(), avgSentiment: z.number() })),
});

const consistencySchema = z.object({
  daysWritten: z.number().int(),
  /** daysWritten / elapsedDays. */
  ratio: z.number(),
  entries: z.number().int(),
  words: z.number().int(),
});

const topicShiftSchema = z.object({
  id: z.string(),
  name: z.string(),
  current: z.number().int(),
  previous: z.number().int(),
  delta: z.number().int(),
});

export const growthInsightsSchema = z.object({
  period: reflectionPeriodSchema,
  timezone: z.string(),
  current: periodWindowSchema,
  previous: periodWindowSchema,
  sentiment: z.object({
    current: sentimentTrendSchema,
    previous: sentimentTrendSchema,
    /** current.meanDaily - previous.meanDaily, when both exist. */
    meanDelta: z.number().nullable(),
  }),
  emotions: z.object({
    currentAnalyzed: z.number().int(),
    previousAnalyzed: z.number().int(),
    /** Top-emotion shares (as in /v1/insights/emotions) per period, biggest change first. */
    shifts: z.array(
      z.object({
        label: z.string(),
        currentShare: z.number(),
        previousShare: z.number(),
        delta: z.number(),
        currentCount: z.number().int(),
        previousCount: z.number().int(),
      }),
    ),
  }),
  topics: z.object({ rising: z.array(topicShiftSchema), fading: z.array(topicShiftSchema) }),
  consistency: z.object({
    current: consistencySchema,
    previous: consistencySchema,
    /** current.ratio - previous.ratio. */
    delta: z.number(),
  }),
});
export type GrowthInsights = z.infer<typeof growthInsightsSchema>;

export const createReflectionRequestSchema = z.strictObject({
  period: reflectionPeriodSchema,
  /** Reflect on the period containing this instant (default: now, the period in progress). */
  at: isoDateTime.optional(),
});
export type CreateReflectionRequest = z.infer<typeof createReflectionRequestSchema>;

export const listReflectionsQuerySchema = z.object({ period: reflectionPeriodSchema.optional() });

export const reflectionStatuses = ["pending", "done", "failed"] as const;

export const reflectionCitationSchema = z.object({
  entryId: z.string(),
  /** Why the entry was picked, e.g. "highest-sentiment", "lowest-sentiment", "longest". */
  reasons: z.array(z.string()).optional(),
  occurredAt: z.string().optional(),
});
export type ReflectionCitation = z.infer<typeof reflectionCitationSchema>;

export const reflectionStatsSchema = z.object({
  entryCount: z.number().int(),
  totalWords: z.number().int(),
  daysWritten: z.number().int(),
  days: z.number().int(),
  avgMood: z.number().nullable(),
  avgSentiment: z.number().nullable(),
  analyzedEntries: z.number().int(),
  /** Entries written up to this instant are included. */
  asOf: z.string(),
});
export type ReflectionStats = z.infer<typeof reflectionStatsSchema>;

const themeCountSchema = z.object({ label: z.string(), count: z.number().int() });
export const reflectionThemesSchema = z.object({
  keywords: z.array(themeCountSchema),
  emotions: z.array(themeCountSchema),
  topics: z.array(z.object({ id: z.string(), name: z.string(), count: z.number().int() })),
});
export type ReflectionThemes = z.infer<typeof reflectionThemesSchema>;

export const reflectionSchema = z.object({
  id: z.string(),
  period: reflectionPeriodSchema,
  periodStart: z.string(),
  periodEnd: z.string(),
  timezone: z.string(),
  status: z.enum(reflectionStatuses),
  /** True when an LLM wrote the text; false for the structured reflection computed at the edge. */
  generated: z.boolean(),
  text: z.string().nullable(),
  stats: reflectionStatsSchema.nullable(),
  themes: reflectionThemesSchema.nullable(),
  citations: z.array(reflectionCitationSchema),
  jobId: z.string().nullable(),
  model: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Reflection = z.infer<typeof reflectionSchema>;

/** What a reflection job carries, on the edge fallback and (later) to an inference node alike. */
export const reflectionJobPayloadSchema = z.object({
  reflectionId: z.string(),
  userId: z.string(),
  period: reflectionPeriodSchema,
  periodStart: z.string(),
  periodEnd: z.string(),
  timezone: z.string(),
});
export type ReflectionJobPayload = z.infer<typeof reflectionJobPayloadSchema>;

/** What a node hands back for a reflection job: only ids it was given may be cited. */
export const generatedReflectionSchema = z.object({
  text: z.string().min(1).max(20_000),
  citations: z.array(z.object({ entryId: z.string().max(200) })).max(50),
  model: z.string().max(200),
});
export type GeneratedReflection = z.infer<typeof generatedReflectionSchema>;
