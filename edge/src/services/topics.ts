import { InkwellError, type Topic, uuidv7 } from "@inkwell/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { entries, entryTopics, topics } from "../db/schema/index.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function direction(last: number, previous: number): "up" | "down" | "flat" {
  if (last === previous) return "flat";
  return last > previous ? "up" : "down";
}

/** Counts come from the join table at read time, so concurrent writers can never make them drift. */
export async function listTopics(db: Database, userId: string, onlyId?: string): Promise<Topic[]> {
  const rows = await db
    .select({
      id: topics.id,
      name: topics.name,
      description: topics.description,
      color: topics.color,
      kind: topics.kind,
      keywords: topics.keywords,
      createdAt: topics.createdAt,
      updatedAt: topics.updatedAt,
      entryCount: sql<number>`count(${entries.id})::int`,
      last30: sql<number>`(count(${entries.id}) filter (where ${entries.occurredAt} >= now() - interval '30 days'))::int`,
      previous30: sql<number>`(count(${entries.id}) filter (where ${entries.occurredAt} >= now() - interval '60 days' and ${entries.occurredAt} < now() - interval '30 days'))::int`,
    })
    .from(topics)
    .leftJoin(entryTopics, eq(entryTopics.topicId, topics.id))
    .leftJoin(entries, and(eq(entries.id, entryTopics.entryId), sql`${entries.deletedAt} is null`))
    .where(and(eq(topics.userId, userId), onlyId ? eq(topics.id, onlyId) : undefined))
    .groupBy(topics.id)
    .orderBy(asc(topics.kind), asc(sql`lower(${topics.name})`), asc(topics.id));
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    description: row.description,
    color: row.color,
    kind: row.kind,
    keywords: row.keywords ?? [],
    entryCount: row.entryCount,
    trend: {
      last30Days: row.last30,
      previous30Days: row.previous30,
      direction: direction(row.last30, row.previous30),
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }));
}

export function assertTopicId(id: string): string {
  if (!UUID.test(id)) throw new InkwellError("NOT_FOUND", "No topic with that id.");
  return id;
}

export async function getTopic(db: Database, userId: string, id: string): Promise<Topic> {
  const [topic] = await listTopics(db, userId, assertTopicId(id));
  if (!topic) throw new InkwellError("NOT_FOUND", "No topic with that id.");
  return topic;
}

function isUniqueViolation(err: unknown): boolean {
  const cause = err instanceof Error && "cause" in err ? err.cause : undefined;
  const code = (e: unknown) => (typeof e === "object" && e !== null && "code" in e ? e.code : undefined);
  return code(err) === "23505" || code(cause) === "23505";
}

export async function createTopic(
  db: Database,
  userId: string,
  input: { name: string; description?: string | null | undefined; color?: string | null | undefined },
): Promise<Topic> {
  const id = uuidv7();
  try {
    await db.insert(topics).values({
      id,
      userId,
      name: input.name,
      description: input.description ?? null,
      color: input.color ?? null,
      kind: "user",
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new InkwellError("CONFLICT", `You already have a topic named "${input.name}".`);
    throw err;
  }
  return await getTopic(db, userId, id);
}

export async function updateTopic(
  db: Database,
  userId: string,
  id: string,
  patch: {
    name?: string | undefined;
    description?: string | null | undefined;
    color?: string | null | undefined;
  },
): Promise<Topic> {
  assertTopicId(id);
  try {
    const updated = await db
      .update(topics)
      .set({
        ...(patch.name !== undefined ? { name: patch.name, nameSetByUser: true } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.color !== undefined ? { color: patch.color } : {}),
        updatedAt: new Date(),
      })
      .where(and(eq(topics.userId, userId), eq(topics.id, id)))
      .returning({ id: topics.id });
    if (updated.length === 0) throw new InkwellError("NOT_FOUND", "No topic with that id.");
  } catch (err) {
    if (isUniqueViolation(err))
      throw new InkwellError("CONFLICT", `You already have a topic named "${patch.name}".`);
    throw err;
  }
  return await getTopic(db, userId, id);
}

/** Deleting a topic unlinks its entries; the entries themselves stay. */
export async function deleteTopic(db: Database, userId: string, id: string): Promise<void> {
  assertTopicId(id);
  const deleted = await db
    .delete(topics)
    .where(and(eq(topics.userId, userId), eq(topics.id, id)))
    .returning({ id: topics.id });
  if (deleted.length === 0) throw new InkwellError("NOT_FOUND", "No topic with that id.");
}
