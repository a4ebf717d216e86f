import { z } from "zod";
import { moodSchema } from "./entries.ts";
import { pageQuerySchema } from "./pagination.ts";

export const MOOD_CHECKIN_NOTE_MAX_LENGTH = 280;

const isoDateTime = z.iso.datetime({
  offset: true,
  error: "must be an ISO-8601 date-time, e.g. 2026-01-31T21:30:00Z",
});

/** `POST /v1/mood-checkins`: a mood on the entries' 1..10 scale, without writing an entry. */
export const createMoodCheckinRequestSchema = z.strictObject({
  mood: moodSchema,
  note: z
    .string({ error: "note must be a string" })
    .trim()
    .max(MOOD_CHECKIN_NOTE_MAX_LENGTH, {
      error: `note is at most ${MOOD_CHECKIN_NOTE_MAX_LENGTH} characters`,
    })
    .optional(),
  /** When the mood was felt; now when left out. At most a day ahead, for clocks a little off. */
  at: isoDateTime.optional(),
});
export type CreateMoodCheckinRequest = z.infer<typeof createMoodCheckinRequestSchema>;

export const moodCheckinSchema = z.object({
  id: z.string(),
  mood: z.number().int(),
  note: z.string().nullable(),
  at: z.string(),
  createdAt: z.string(),
});
export type MoodCheckin = z.infer<typeof moodCheckinSchema>;

export const moodCheckinListQuerySchema = z
  .object({ from: isoDateTime.optional(), to: isoDateTime.optional() })
  .extend(pageQuerySchema.shape);
