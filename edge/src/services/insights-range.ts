import { InkwellError, type InsightBucket, isValidTimeZone } from "@inkwell/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { users } from "../db/schema/index.ts";

const DAY_MS = 86_400_000;
/** Day buckets over more than three years would be thousands of points nobody can read. */
export const MAX_DAY_RANGE_DAYS = 3 * 366;
/** Coarser buckets and plain distributions stay bounded too, so one request cannot ask for everything. */
export const MAX_RANGE_DAYS = 10 * 366;
export const DEFAULT_RANGE_DAYS = 90;

/** A half-open range `[from, to)` in UTC instants, plus whether it was the default one. */
export interface InsightRange {
  from: Date;
  to: Date;
  defaulted: boolean;
}

/**
 * The writer's zone decides every "which day". An unknown zone (the runtime's database is newer than
 * Postgres's, or an old row) falls back to UTC rather than failing the request.
 */
export async function loadTimezone(db: Database, userId: string): Promise<string> {
  const [row] = await db
    .select({ timezone: users.timezone })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .limit(1);
  const zone = row?.timezone ?? "UTC";
  return isValidTimeZone(zone) ? zone : "UTC";
}

/** The local calendar date of an instant, `YYYY-MM-DD`; part of cache keys so "today" rolls over. */
export function localDateOf(instant: Date, timezone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(instant);
}

function invalid(path: string, message: string): InkwellError {
  return new InkwellError("VALIDATION_FAILED", `Invalid range: ${path} ${message}.`, {
    errors: [{ path, message }],
  });
}

/**
 * Applies defaults (the last 90 days up to now) and the limits: `from <= to`, and at most three
 * years for day buckets, ten otherwise.
 */
export function resolveRange(
  query: { from?: string | undefined; to?: string | undefined },
  bucket: InsightBucket | undefined,
  now: Date,
): InsightRange {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  if (from.getTime() > to.getTime()) throw invalid("from", "must not be after to");
  const maxDays = bucket === "day" ? MAX_DAY_RANGE_DAYS : MAX_RANGE_DAYS;
  if (to.getTime() - from.getTime() > maxDays * DAY_MS) {
    throw invalid(
      query.from ? "from" : "to",
      `must be at most ${maxDays} days before to${bucket === "day" ? " for day buckets (use week or month)" : ""}`,
    );
  }
  return { from, to, defaulted: !query.from && !query.to };
}

/**
 * A cache key for a range: an explicit range is its own key; the default one moves with the clock,
 * so it is keyed by the local date instead (new entries bump the user's version anyway).
 */
export function rangeKey(
  range: InsightRange,
  query: { from?: string | undefined; to?: string | undefined },
  today: string,
): string {
  if (range.defaulted) return `default:${today}`;
  return `${query.from ? range.from.toISOString() : `now-${DEFAULT_RANGE_DAYS}d`}..${query.to ? range.to.toISOString() : `now:${today}`}`;
}

/** Rounds away float noise (sentiment is stored as `real`) so figures compare and cache cleanly. */
export function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function round4OrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || Number.isNaN(value) ? null : round4(value);
}
