import { sql } from "drizzle-orm";
import { boolean, check, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { id, softDelete, timestamps } from "./columns.ts";

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    displayName: text("display_name"),
    timezone: text("timezone").notNull().default("UTC"),
    role: text("role", { enum: ["user", "admin"] })
      .notNull()
      .default("user"),
    passwordHash: text("password_hash").notNull(),
    passwordSalt: text("password_salt").notNull(),
    /** Stored per user so the work factor can be raised later and old hashes upgraded on login. */
    passwordIterations: integer("password_iterations").notNull(),
    /**
     * The PASSWORD_PEPPER_VERSION the hash was made with; 0 for hashes from before the pepper, which
     * still verify and are rehashed with the current pepper at the next sign-in.
     */
    passwordPepperVersion: integer("password_pepper_version").notNull().default(0),
    failedLoginCount: integer("failed_login_count").notNull().default(0),
    /** Failures older than the lockout window no longer count towards a lock. */
    lastFailedLoginAt: timestamp("last_failed_login_at", { withTimezone: true, mode: "date" }),
    lockedUntil: timestamp("locked_until", { withTimezone: true, mode: "date" }),
    /**
     * Carried in every access token; bumping it (logout-all, password change) makes all tokens
     * issued before unusable at once, without keeping a deny-list of token ids.
     */
    tokenVersion: integer("token_version").notNull().default(0),
    /**
     * Set by an administrator: the account cannot sign in, refresh, or use its API keys or access
     * tokens until it is enabled again (403 ACCOUNT_DISABLED). Nothing of it is deleted.
     */
    disabledAt: timestamp("disabled_at", { withTimezone: true, mode: "date" }),
    weeklyReflection: boolean("weekly_reflection").notNull().default(false),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    uniqueIndex("users_email_lower_idx").on(sql`lower(${t.email})`),
    check("users_role_check", sql`${t.role} in ('user', 'admin')`),
  ],
);
