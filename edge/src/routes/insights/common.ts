import { InkwellError, isValidTimeZone } from "@inkwell/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { type ViewNamespace, type ViewValue, withUserCache } from "../../lib/view-cache.ts";
import { localDateOf } from "../../services/insights-range.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are opaque: anything that is not one of ours is simply not found. */
export function reflectionIdFrom(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!UUID.test(id)) throw new InkwellError("NOT_FOUND", "No reflection with that id.");
  return id;
}

/** What every insight loader gets: the caller, their zone and "now" as one value for the whole request. */
export interface InsightContext {
  userId: string;
  timezone: string;
  now: Date;
  /** The caller's local date today, `YYYY-MM-DD`. */
  today: string;
}

/**
 * Loads an insight through the per-user view cache. The key always carries the zone, so changing it
 * in PATCH /v1/me (which does not bump the version) can never serve figures bucketed in the old one.
 */
export async function cachedInsight<N extends ViewNamespace>(
  c: Context<AppEnv>,
  ns: N,
  now: Date,
  key: (ctx: InsightContext) => string,
  loader: (ctx: InsightContext) => Promise<ViewValue<N>>,
): Promise<ViewValue<N>> {
  const { redis, config, dataKeys } = c.get("services");
  const userId = c.get("auth").userId;
  const stored = c.get("auth").timezone;
  const timezone = isValidTimeZone(stored) ? stored : "UTC";
  const ctx = { userId, timezone, now, today: localDateOf(now, timezone) };
  const value = await withUserCache(
    redis,
    { enabled: config.VIEW_CACHE, keys: dataKeys },
    ns,
    userId,
    `${timezone}|${key(ctx)}`,
    () => loader(ctx),
  );
  if (value === null) throw new InkwellError("INTERNAL", "The insight could not be computed.");
  return value;
}
