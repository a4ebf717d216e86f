import { InkwellError, type Topic, uuidv7 } from "@inkwell/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { entries, entryTopics, topics } from "../db/schema/index.ts";
import { idOr404 } from "../lib/ids.ts";
import { openTopicFields, sealTopicFields } from "./topic-fields.ts";

function direction(last: number, previous: number): "up" | "down" | "flat" {
  if (last === previous) return "flat";
  return last > previous ? "up" : "down";
}

/** Where a page of topics starts: after the topic with this sort key (kind, lower-cased name, id). */
export type TopicPosition = [kind: string, name: string, id: string];

/** Counts come from the join table at read time, so concurrent writers can never make them drift. */
export async function listTopics(
  db: Database,
  keys: KeySource,
  userId: string,
  onlyId?: string,
): Promise<Topic[]> {
  const rows = await queryTopics(db, keys, userId, onlyId ? { onlyId } : {});
  return rows.map((row) => row.topic);
}

async function queryTopics(
  db: Database,
  keys: KeySource,
  userId: string,
  options: { onlyId?: string; limit?: number; after?: TopicPosition },
): Promise<{ topic: Topic; position: TopicPosition }[]> {
  const { onlyId, limit, after } = options;
  const rows = await db
    .select({
      id: topics.id,
      name: topics.name,
      description: topics.description,
      descriptionCt: topics.descriptionCt,
      color: topics.color,
      kind: topics.kind,
      keywords: topics.keywords,
      keywordsCt: topics.keywordsCt,
      createdAt: topics.createdAt,
      updatedAt: topics.updatedAt,
      // The sort key as Postgres lower-cases it, so a cursor continues exactly where the page ended.
      sortName: sql<string>`lower(${topics.name})`,
      entryCount: sql<number>`count(${entries.id})::int`,
      last30: sql<number>`(count(${entries.id}) filter (where ${entries.occurredAt} >= now() - interval '30 days'))::int`,
      previous30: sql<number>`(count(${entries.id}) filter (where ${entries.occurredAt} >= now() - interval '60 days' and ${entries.occurredAt} < now() - interval '30 days'))::int`,
    })
    .from(topics)
    .leftJoin(entryTopics, eq(entryTopics.topicId, topics.id))
    .leftJoin(entries, and(eq(entries.id, entryTopics.entryId), sql`${entries.deletedAt} is null`))
    .where(
      and(
        eq(topics.userId, userId),
        onlyId ? eq(topics.id, onlyId) : undefined,
        after
          ? sql`(${topics.kind}, lower(${topics.name}), ${topics.id}) > (${after[0]}, ${after[1]}, ${after[2]}::uuid)`
          : undefined,
      ),
    )
    .groupBy(topics.id)
    .orderBy(asc(topics.kind), asc(sql`lower(${topics.name})`), asc(topics.id))
    .limit(limit ?? Number.MAX_SAFE_INTEGER);
  return await Promise.all(
    rows.map(async (row) => ({
      position: [row.kind, row.sortName, row.id] as TopicPosition,
      topic: await toTopic(row, await openTopicFields(keys, { ...row, userId })),
    })),
  );
}

function toTopic(
  row: {
    id: string;
    name: string;
    color: string | null;
    kind: "user" | "discovered";
    entryCount: number;
    last30: number;
    previous30: number;
    createdAt: Date;
    updatedAt: Date;
  },
  opened: { description: string | null; keywords: string[] | null },
): Topic {
  return {
    id: row.id,
    name: row.name,
    description: opened.description,
    color: row.color,
    kind: row.kind,
    keywords: opened.keywords ?? [],
    entryCount: row.entryCount,
    trend: {
      last30Days: row.last30,
      previous30Days: row.previous30,
      direction: direction(row.last30, row.previous30),
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function assertTopicId(id: string): string {
  return idOr404(id, "No topic with that id.");
}

/** One page in list order; `last` is the position to continue after, or null on the last page. */
export async function listTopicPage(
  db: Database,
  keys: KeySource,
  userId: string,
  options: { limit: number; after?: TopicPosition | undefined },
): Promise<{ items: Topic[]; last: TopicPosition | null }> {
  const rows = await queryTopics(db, keys, userId, {
    limit: options.limit + 1,
    ...(options.after ? { after: options.after } : {}),
  });
  const page = rows.slice(0, options.limit);
  const lastRow = page.at(-1);
  return {
    items: page.map((row) => row.topic),
    last: rows.length > options.limit && lastRow ? lastRow.position : null,
  };
}

export async function getTopic(db: Database, keys: KeySource, userId: string, id: string): Promise<Topic> {
  const [topic] = await listTopics(db, keys, userId, assertTopicId(id));
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
  keys: KeySource,
  userId: string,
  input: { name: string; description?: string | null | undefined; color?: string | null | undefined },
): Promise<Topic> {
  const id = uuidv7();
  // Sealed before the insert: creating the writer's key on first use is its own write.
  const sealed = await sealTopicFields(keys, { userId, id }, { description: input.description ?? null });
  try {
    await db.insert(topics).values({
      id,
      userId,
      name: input.name,
      ...sealed,
      color: input.color ?? null,
      kind: "user",
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new InkwellError("CONFLICT", `You already have a topic named "${input.name}".`);
    throw err;
  }
  return await getTopic(db, keys, userId, id);
}

export async function updateTopic(
  db: Database,
  keys: KeySource,
  userId: string,
  id: string,
  patch: {
    name?: string | undefined;
    description?: string | null | undefined;
    color?: string | null | undefined;
  },
): Promise<Topic> {
  assertTopicId(id);
  const sealed = await sealTopicFields(keys, { userId, id }, { description: patch.description });
  try {
    const updated = await db
      .update(topics)
      .set({
        ...(patch.name !== undefined ? { name: patch.name, nameSetByUser: true } : {}),
        ...sealed,
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
  return await getTopic(db, keys, userId, id);
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
