import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns.ts";
import { users } from "./users.ts";

/**
 * Quick mood check-ins: a rating on the entries' 1..10 scale and an optional short note, without an
 * entry. The mood insights count each as one more rating (docs/insights.md).
 */
export const moodCheckins = pgTable(
  "mood_checkins",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    mood: integer("mood").notNull(),
    note: text("note"),
    /** When the mood was felt (the writer may log one after the fact). */
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("mood_checkins_user_at_idx").on(t.userId, t.at.desc(), t.id.desc()),
    check("mood_checkins_mood_check", sql`${t.mood} between 1 and 10`),
  ],
);
