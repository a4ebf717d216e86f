import { uuidv7 } from "@inkwell/shared";
import { expect } from "vitest";
import { entries, entryAnalyses, entryTopics, topics } from "../../src/db/schema/index.ts";
import { type CallOptions, call, type TestUser, testDb } from "../harness.ts";

export interface FixtureEntry {
  occurredAt: string;
  mood?: number | null;
  words?: number;
  /** A finished analysis with this sentiment; omit for a pending one. */
  sentiment?: number;
  emotions?: { label: string; score: number }[];
  keywords?: string[];
  analysis?: "pending" | "done" | "failed";
  deleted?: boolean;
  topicIds?: string[];
}

/**
 * Writes entries and analyses straight into the database, so occurredAt and the analysis are exactly
 * what a test computed its expectations from. Call before the first insights request of the user:
 * these writes do not bump the view cache.
 */
export async function seedEntries(userId: string, fixtures: FixtureEntry[]): Promise<string[]> {
  const db = testDb();
  const ids: string[] = [];
  for (const f of fixtures) {
    const id = uuidv7();
    ids.push(id);
    await db.insert(entries).values({
      id,
      userId,
      content: "fixture entry",
      mood: f.mood ?? null,
      wordCount: f.words ?? 10,
      occurredAt: new Date(f.occurredAt),
      deletedAt: f.deleted ? new Date() : null,
    });
    const status = f.analysis ?? (f.sentiment !== undefined || f.emotions ? "done" : "pending");
    await db.insert(entryAnalyses).values({
      entryId: id,
      userId,
      status,
      contentVersion: 1,
      sentimentLabel:
        f.sentiment === undefined
          ? null
          : f.sentiment > 0.2
            ? "positive"
            : f.sentiment < -0.2
              ? "negative"
              : "neutral",
      sentimentScore: f.sentiment ?? null,
      emotions: f.emotions ?? null,
      keywords: f.keywords ?? null,
    });
    if (f.topicIds?.length) {
      await db.insert(entryTopics).values(f.topicIds.map((topicId) => ({ entryId: id, topicId, userId })));
    }
  }
  return ids;
}

export async function seedTopic(userId: string, name: string): Promise<string> {
  const id = uuidv7();
  await testDb().insert(topics).values({ id, userId, name });
  return id;
}

export async function getJson<T>(
  path: string,
  user: TestUser | string,
  options: CallOptions = {},
): Promise<T> {
  const token = typeof user === "string" ? user : user.accessToken;
  const res = await call(path, { token, ...options });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as T;
}

export const q = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;
