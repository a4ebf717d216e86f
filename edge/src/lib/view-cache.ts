import {
  emotionInsightsSchema,
  entrySchema,
  growthInsightsSchema,
  moodByTimeSchema,
  moodInsightsSchema,
  moodStabilitySchema,
  moodTopicsSchema,
  pageSchema,
  streakInsightsSchema,
  topicInsightsSchema,
  topicSchema,
  wordCountsSchema,
  writingInsightsSchema,
} from "@inkwell/shared";
import type { Redis } from "@upstash/redis/cloudflare";
import type { z } from "zod";
import { decryptField, encryptField, type KeySource } from "../crypto/field-cipher.ts";
import { errorName, log } from "./log.ts";
import { withTimeout } from "./timeout.ts";
import { setUserKey, userKey, userKeys } from "./user-keys.ts";

/**
 * Per-user views of the journal. Each cached value lives under the user's current version; a write
 * bumps the version, which makes every cached view of that user unreachable at once — no key scans,
 * and a reader that loaded old rows before the bump can only fill a key nobody reads any more. Values
 * are encrypted with the user's data key, bound to their Redis key, so Redis holds no journal text
 * (docs/design/encryption.md) and a value copied under another key or user does not decrypt.
 */
export const viewNamespaces = {
  entry: { ttlSeconds: 300, schema: entrySchema },
  entryList: { ttlSeconds: 120, schema: pageSchema(entrySchema) },
  topicList: { ttlSeconds: 120, schema: pageSchema(topicSchema) },
  topic: { ttlSeconds: 300, schema: topicSchema },
  topicEntries: { ttlSeconds: 120, schema: pageSchema(entrySchema) },
  // Insights aggregate a whole history; any write bumps the version, so the TTL only bounds staleness
  // of "now"-relative figures (keys carry the writer's zone and local date).
  insightsMood: { ttlSeconds: 300, schema: moodInsightsSchema },
  insightsEmotions: { ttlSeconds: 300, schema: emotionInsightsSchema },
  insightsWriting: { ttlSeconds: 300, schema: writingInsightsSchema },
  insightsTopics: { ttlSeconds: 300, schema: topicInsightsSchema },
  insightsGrowth: { ttlSeconds: 300, schema: growthInsightsSchema },
  insightsMoodByTime: { ttlSeconds: 300, schema: moodByTimeSchema },
  insightsMoodTopics: { ttlSeconds: 300, schema: moodTopicsSchema },
  insightsMoodStability: { ttlSeconds: 300, schema: moodStabilitySchema },
  insightsWordCounts: { ttlSeconds: 300, schema: wordCountsSchema },
  insightsStreaks: { ttlSeconds: 300, schema: streakInsightsSchema },
} as const;

export type ViewNamespace = keyof typeof viewNamespaces;
export type ViewValue<N extends ViewNamespace> = z.infer<(typeof viewNamespaces)[N]["schema"]>;

const TIMEOUT_MS = 1_000;
const versionKey = (userId: string) => userKeys.viewVersion(userId);
const viewKey = (ns: ViewNamespace, userId: string, version: number, key: string) =>
  userKey(userId, "view", ns, version, key);

function warn(op: string, err: unknown): void {
  log.warn("view cache unavailable", { op, error: errorName(err) });
}

export interface ViewCacheOptions {
  /** Off for benchmarks that compare against the uncached path. */
  enabled: boolean;
  /** The request's keyring: cached values are sealed with the user's data key. */
  keys: KeySource;
}

/** Where a cached value is bound: its own Redis key, so it opens nowhere else. */
const fieldOf = (userId: string, redisKey: string, ns: ViewNamespace) => ({
  userId,
  table: "redis:view",
  rowId: redisKey,
  column: ns,
});

/** Reads a per-user view through the cache; Redis trouble degrades to the loader, never to an error. */
export async function withUserCache<N extends ViewNamespace>(
  redis: Redis,
  options: ViewCacheOptions,
  ns: N,
  userId: string,
  key: string,
  loader: () => Promise<ViewValue<N> | null>,
): Promise<ViewValue<N> | null> {
  if (!options.enabled) return await loader();
  let version: number;
  try {
    version = Number((await withTimeout(redis.get<number>(versionKey(userId)), TIMEOUT_MS, "Redis")) ?? 0);
    const redisKey = viewKey(ns, userId, version, key);
    // Read as stored: a sealed value is a string, never JSON for the client to parse.
    const cached = await withTimeout(redis.get<unknown>(redisKey), TIMEOUT_MS, "Redis");
    if (typeof cached === "string") {
      const opened = await decryptField(options.keys, fieldOf(userId, redisKey, ns), cached).catch(
        () => null,
      );
      // A value that does not open (sealed before a key change, or not by us) is a miss and is replaced.
      const parsed = opened === null ? null : viewNamespaces[ns].schema.safeParse(JSON.parse(opened));
      if (parsed?.success) return parsed.data as ViewValue<N>;
    }
  } catch (err) {
    warn("get", err);
    return await loader();
  }
  const value = await loader();
  if (value !== null) {
    try {
      const redisKey = viewKey(ns, userId, version, key);
      const sealed = await encryptField(options.keys, fieldOf(userId, redisKey, ns), JSON.stringify(value));
      // Indexed under the user, so account deletion finds them with the rest of the user's keys.
      await setUserKey(redis, userId, redisKey, sealed, {
        ttlSeconds: viewNamespaces[ns].ttlSeconds,
        timeoutMs: TIMEOUT_MS,
      });
    } catch (err) {
      warn("fill", err);
    }
  }
  return value;
}

/** A missed invalidation shows a writer their old journal: it gets longer than a read, and a second try. */
const INVALIDATE_TIMEOUT_MS = 1_500;
const INVALIDATE_ATTEMPTS = 2;

/** After a committed write: every cached view of this user is invalid from now on. */
export async function invalidateUserViews(redis: Redis, userId: string): Promise<void> {
  for (let attempt = 1; attempt <= INVALIDATE_ATTEMPTS; attempt++) {
    try {
      await withTimeout(redis.incr(versionKey(userId)), INVALIDATE_TIMEOUT_MS, "Redis");
      return;
    } catch (err) {
      // After the last try, old views live until their TTL (at most a few minutes); the write itself has succeeded.
      if (attempt === INVALIDATE_ATTEMPTS) warn("invalidate", err);
    }
  }
}
