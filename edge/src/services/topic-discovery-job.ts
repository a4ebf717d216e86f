import { DISCOVER_TOPICS_MAX_PREVIOUS, type DiscoverTopicsJob } from "@inkwell/shared";
import { and, asc, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { jobs } from "../db/schema/index.ts";
import { entries, entryEmbeddings, entryTopics, topics, users } from "../db/schema/index.ts";

/**
 * What one discovery job may send. QStash refuses messages over the plan's limit (1 MB on the free plan)
 * and echoes the body back in the callback, so the body is held under 900 KB: the writer's most recent
 * entries (at most `TOPIC_JOB_MAX_ENTRIES`), each text cut to `TOPIC_JOB_MAX_TEXT` characters (enough
 * for the labels' word counts), the stored embeddings added newest first while they fit, and the previous
 * topics' centroids and members (only members among the entries sent). Entries sent without a vector
 * are embedded on the node, so a long journal costs node time, never a refused message.
 */
export const TOPIC_JOB_MAX_BODY_BYTES = 900_000;
export const TOPIC_JOB_MAX_ENTRIES = 1000;
export const TOPIC_JOB_MAX_TEXT = 2000;
/** Vector components are rounded to this many decimals in the body: ample for clustering unit vectors. */
const DECIMALS = 1e5;

type JobRow = typeof jobs.$inferSelect;
export type BuiltDiscovery = { kind: "publish"; body: DiscoverTopicsJob } | { kind: "finish"; note: string };

const round = (vector: readonly number[]) => vector.map((v) => Math.round(v * DECIMALS) / DECIMALS);
const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/** The body of a `discover-topics` job for the job's writer, read at dispatch time (so it is current). */
export async function buildDiscoverTopics(
  db: Database,
  job: JobRow,
  attempt: number,
): Promise<BuiltDiscovery> {
  const userId = job.userId;
  if (!userId) return { kind: "finish", note: "The job names no writer." };
  const [user] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .limit(1);
  if (!user) return { kind: "finish", note: "The account was deleted; nothing to discover." };

  // The model of the writer's newest vector: older vectors of another model are left for the node to redo.
  const [latest] = await db
    .select({ model: entryEmbeddings.model })
    .from(entryEmbeddings)
    .where(eq(entryEmbeddings.userId, userId))
    .orderBy(desc(entryEmbeddings.updatedAt))
    .limit(1);
  const model = latest?.model;

  const rows = await db
    .select({
      id: entries.id,
      text: sql<string>`left(coalesce(${entries.title} || E'\\n\\n', '') || ${entries.content}, ${TOPIC_JOB_MAX_TEXT})`,
      embedding: entryEmbeddings.embedding,
    })
    .from(entries)
    .leftJoin(
      entryEmbeddings,
      and(
        eq(entryEmbeddings.entryId, entries.id),
        eq(entryEmbeddings.userId, userId),
        model ? eq(entryEmbeddings.model, model) : sql`false`,
      ),
    )
    .where(and(eq(entries.userId, userId), isNull(entries.deletedAt)))
    .orderBy(desc(entries.occurredAt), desc(entries.id))
    .limit(TOPIC_JOB_MAX_ENTRIES);

  const previousTopics = await db
    .select({ id: topics.id, centroid: topics.centroid, model: topics.model })
    .from(topics)
    .where(and(eq(topics.userId, userId), eq(topics.kind, "discovered")))
    .orderBy(asc(topics.createdAt), asc(topics.id))
    .limit(DISCOVER_TOPICS_MAX_PREVIOUS);
  const links =
    previousTopics.length === 0
      ? []
      : await db
          .select({ topicId: entryTopics.topicId, entryId: entryTopics.entryId })
          .from(entryTopics)
          .where(
            and(
              eq(entryTopics.userId, userId),
              inArray(
                entryTopics.topicId,
                previousTopics.map((t) => t.id),
              ),
            ),
          );

  // Centroids of another model live in another space: the node then matches on members alone.
  const previousCentroids = previousTopics.map((topic) => ({
    id: topic.id,
    centroid: topic.centroid && topic.model === model ? round(topic.centroid) : [],
  }));
  let budget =
    TOPIC_JOB_MAX_BODY_BYTES -
    jsonBytes({
      jobId: job.id,
      userId,
      attempt,
      model: model ?? "",
      entries: [],
      previous: previousCentroids,
    }) -
    previousCentroids.length * jsonBytes({ memberIds: [] });

  // First the entries as text (plus each one's place in a member list), newest first, while they fit…
  const chosen: { id: string; text: string; embedding: number[] | null }[] = [];
  for (const row of rows) {
    if (row.text.trim().length === 0) continue;
    const cost = jsonBytes({ id: row.id, text: row.text }) + 1 + jsonBytes(row.id) + 1;
    if (cost > budget) break;
    budget -= cost;
    chosen.push(row);
  }
  // …then their stored vectors, newest first, with what is left.
  const sent: DiscoverTopicsJob["entries"] = chosen.map((row) => {
    if (!row.embedding || row.embedding.length === 0) return { id: row.id, text: row.text };
    const embedding = round(row.embedding);
    const cost = jsonBytes(embedding) + jsonBytes("embedding") + 2;
    if (cost > budget) return { id: row.id, text: row.text };
    budget -= cost;
    return { id: row.id, text: row.text, embedding };
  });

  const sentIds = new Set(sent.map((entry) => entry.id));
  const members = new Map<string, string[]>();
  for (const link of links) {
    if (!sentIds.has(link.entryId)) continue;
    const list = members.get(link.topicId);
    if (list) list.push(link.entryId);
    else members.set(link.topicId, [link.entryId]);
  }
  const body: DiscoverTopicsJob = {
    jobId: job.id,
    userId,
    attempt,
    ...(model ? { model } : {}),
    entries: sent,
    previous: previousCentroids.map((topic) => ({ ...topic, memberIds: members.get(topic.id) ?? [] })),
  };
  return { kind: "publish", body };
}
