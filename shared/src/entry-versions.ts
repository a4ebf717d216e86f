import { z } from "zod";

/**
 * One version of an entry's text. A version is the title and content together, the text an analysis
 * reads: creating the entry writes version 1, and every change of title or content (an edit, a
 * restore) writes the next. Mood, tags, topics, the date and the favourite mark are not versioned.
 */
export const entryVersionSchema = z.object({
  entryId: z.string(),
  version: z.number().int().min(1),
  title: z.string().nullable(),
  content: z.string(),
  wordCount: z.number().int(),
  /** When this text was written: the entry's creation, an edit or a restore. */
  createdAt: z.string(),
  /** Whether this is the entry's text now. */
  current: z.boolean(),
  /** For a restore, the version whose text it brought back. */
  restoredFrom: z.number().int().nullable(),
});
export type EntryVersion = z.infer<typeof entryVersionSchema>;

/** `{version}` in a path: a whole number from 1, as the versions list shows it. */
export const entryVersionParamSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,8}$/, { error: "must be a version number: 1, 2, 3, …" })
  .transform(Number);

/** `POST /v1/entries/{id}/reanalyze`: the analysis job, and whether this request queued it. */
export const reanalyzeResponseSchema = z.object({
  jobId: z.string(),
  /** False when the entry's analysis was already pending: that job's id is returned instead of a new one. */
  created: z.boolean(),
});
export type ReanalyzeResponse = z.infer<typeof reanalyzeResponseSchema>;
