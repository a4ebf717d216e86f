import { boolean, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns.ts";
import { users } from "./users.ts";

/**
 * Sign-ins of an account, successful or not, for its owner's security view: when, roughly where (the
 * country and city Cloudflare saw, never the address) and with what client. Attempts on addresses
 * that have no account are not recorded anywhere. Kept 90 days.
 */
export const signInEvents = pgTable(
  "sign_in_events",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The refresh-token family a successful sign-in started; null for failures. */
    familyId: uuid("family_id"),
    succeeded: boolean("succeeded").notNull(),
    country: text("country"),
    city: text("city"),
    /** The client's User-Agent, cut to 200 characters. */
    userAgent: text("user_agent"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("sign_in_events_user_idx").on(t.userId, t.createdAt.desc()),
    index("sign_in_events_family_idx").on(t.familyId),
  ],
);
