import { type CreateMoodCheckinRequest, InkwellError, type MoodCheckin, uuidv7 } from "@inkwell/shared";
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { moodCheckins } from "../db/schema/index.ts";
import type { Position } from "../lib/cursor.ts";
import { exportSections, type LoadedExportSection, localDate } from "./export.ts";
import { requireWriter } from "./writer-locks.ts";

/** A check-in may be logged a day ahead at most, for clocks a little off; never far in the future. */
const MAX_AHEAD_MS = 24 * 60 * 60 * 1000;

export function toMoodCheckin(row: typeof moodCheckins.$inferSelect): MoodCheckin {
  return {
    id: row.id,
    mood: row.mood,
    note: row.note,
    at: row.at.toISOString(),
    createdAt: row.createdAt.toISOString(),
  };
}

export async function createMoodCheckin(
  db: Database,
  userId: string,
  input: CreateMoodCheckinRequest,
): Promise<MoodCheckin> {
  const at = input.at ? new Date(input.at) : new Date();
  if (at.getTime() > Date.now() + MAX_AHEAD_MS) {
    throw new InkwellError("VALIDATION_FAILED", "A check-in cannot be more than a day in the future.", {
      errors: [{ path: "at", message: "must not be more than a day in the future" }],
    });
  }
  const note = input.note && input.note.length > 0 ? input.note : null;
  return await db.transaction(async (tx) => {
    // The writer's row first (writer-locks.ts): an account deleted meanwhile answers 404.
    await requireWriter(tx, userId);
    const [row] = await tx
      .insert(moodCheckins)
      .values({ id: uuidv7(), userId, mood: input.mood, note, at })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return toMoodCheckin(row);
  });
}

/** The writer's check-ins, newest first by `at`, in `[from, to)`. */
export async function listMoodCheckins(
  db: Database,
  userId: string,
  options: { from?: Date; to?: Date; after?: Position; limit: number },
) {
  return await db
    .select()
    .from(moodCheckins)
    .where(
      and(
        eq(moodCheckins.userId, userId),
        options.from ? gte(moodCheckins.at, options.from) : undefined,
        options.to ? lt(moodCheckins.at, options.to) : undefined,
        options.after
          ? sql`(${moodCheckins.at}, ${moodCheckins.id}) < (${options.after.at}::timestamptz, ${options.after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(moodCheckins.at), desc(moodCheckins.id))
    .limit(options.limit + 1);
}

/** Deletes one of the writer's check-ins; another writer's or an unknown id is 404. */
export async function deleteMoodCheckin(db: Database, userId: string, id: string): Promise<void> {
  const deleted = await db
    .delete(moodCheckins)
    .where(and(eq(moodCheckins.id, id), eq(moodCheckins.userId, userId)))
    .returning({ id: moodCheckins.id });
  if (deleted.length === 0) throw new InkwellError("NOT_FOUND", "No mood check-in with that id.");
}

function markdownCheckins(items: MoodCheckin[], owner: { timezone: string }): string {
  const lines = ["\n# Mood check-ins\n"];
  for (const c of items) {
    lines.push(`- ${localDate(c.at, owner.timezone)} · mood ${c.mood}/10${c.note ? ` — ${c.note}` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}

// The account export (GET /v1/me/export) carries every check-in: they are the writer's data. Each is a
// few bytes, so even years of them load at once.
const checkinsExport: LoadedExportSection<MoodCheckin> = {
  name: "moodCheckins",
  async load(db, userId) {
    const rows = await db
      .select()
      .from(moodCheckins)
      .where(eq(moodCheckins.userId, userId))
      .orderBy(desc(moodCheckins.at), desc(moodCheckins.id));
    return rows.map(toMoodCheckin);
  },
  markdown: markdownCheckins,
};
exportSections.push(checkinsExport);
