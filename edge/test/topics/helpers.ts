import {
  DISCOVER_TOPICS_JOB,
  type DiscoverTopicsJob,
  type DiscoverTopicsResult,
  type Topic,
  topicSchema,
  uuidv7,
} from "@inkwell/shared";
import { Client as QStashClient } from "@upstash/qstash";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { entries, entryAnalyses, entryEmbeddings, jobs } from "../../src/db/schema/index.ts";
import { parseEnv } from "../../src/env.ts";
import type { PipelineDeps } from "../../src/services/job-dispatch.ts";
import { buildDiscoverTopics } from "../../src/services/topic-discovery-job.ts";
import { json } from "../entries/helpers.ts";
import { call, edgeEnv, type TestUser, testDb } from "../harness.ts";
import { CALLBACK, deliveredCallback, postSigned } from "../pipeline/helpers.ts";

export const MODEL = "test-embed-3d";

export function config(overrides: Record<string, string> = {}) {
  const parsed = parseEnv({ ...edgeEnv, ...overrides });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.config;
}

export function deps(overrides: Record<string, string> = {}): PipelineDeps {
  const c = config(overrides);
  return {
    db: testDb(),
    qstash: new QStashClient({ baseUrl: c.QSTASH_URL, token: c.QSTASH_TOKEN }),
    config: c,
  };
}

/**
 * Analysed entries written straight into the database (text, a finished analysis and a stored vector), so
 * a test controls exactly what a discovery run sees.
 */
export async function seedAnalysed(
  userId: string,
  texts: string[],
  options: { embedding?: number[]; analyzedAt?: Date } = {},
): Promise<string[]> {
  const db = testDb();
  const ids = texts.map(() => uuidv7());
  const now = options.analyzedAt ?? new Date();
  if (ids.length === 0) return ids;
  await db.insert(entries).values(ids.map((id, i) => ({ id, userId, content: texts[i] ?? "" })));
  await db.insert(entryAnalyses).values(
    ids.map((entryId) => ({
      entryId,
      userId,
      status: "done" as const,
      contentVersion: 1,
      analyzedAt: now,
    })),
  );
  await db.insert(entryEmbeddings).values(
    ids.map((entryId) => ({
      entryId,
      userId,
      model: MODEL,
      dims: 3,
      embedding: options.embedding ?? [0.6, 0.8, 0],
      contentVersion: 1,
      indexedAt: now,
    })),
  );
  return ids;
}

/** A discovery job as the dispatcher leaves it once handed to a node. */
export async function runningDiscoveryJob(userId: string): Promise<string> {
  const id = uuidv7();
  await testDb()
    .insert(jobs)
    .values({ id, userId, kind: DISCOVER_TOPICS_JOB, status: "running", attempts: 1, startedAt: new Date() });
  return id;
}

/** The body the dispatcher would publish for the job now. */
export async function builtBody(jobId: string): Promise<DiscoverTopicsJob> {
  const [job] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
  if (!job) throw new Error("no such job");
  const built = await buildDiscoverTopics(testDb(), job, 1);
  if (built.kind !== "publish") throw new Error(`expected a body, got: ${built.note}`);
  return built.body;
}

export function topic(label: string, memberIds: string[], id: string = crypto.randomUUID()) {
  return { id, label, keywords: label.split(", "), centroid: [0.6, 0.8, 0], memberIds };
}

/** Delivers a node's discovery answer through the signed QStash callback; returns the outcome. */
export async function deliverTopics(
  jobId: string,
  userId: string,
  topics: DiscoverTopicsResult["topics"],
  retiredIds: string[] = [],
): Promise<string> {
  const answer: DiscoverTopicsResult = { jobId, userId, model: MODEL, topics, retiredIds };
  const body = await deliveredCallback({ answer, source: { jobId, attempt: 1, userId } });
  const res = await postSigned(CALLBACK, body);
  return (await json<{ outcome: string }>(res, 200)).outcome;
}

export async function listTopics(user: TestUser): Promise<Topic[]> {
  const body = await json<{ items: unknown[] }>(await call("/v1/topics", { token: user.accessToken }), 200);
  return z.array(topicSchema).parse(body.items);
}

export async function discoveryJobs(userId: string) {
  const rows = await testDb().select().from(jobs).where(eq(jobs.userId, userId));
  return rows.filter((row) => row.kind === DISCOVER_TOPICS_JOB);
}
