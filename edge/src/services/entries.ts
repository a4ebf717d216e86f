import {
  type CreateEntryRequest,
  countWords,
  type Entry,
  type EntryAnalysis,
  InkwellError,
  type ListEntriesQuery,
  sha256Hex,
  type UpdateEntryRequest,
  uuidv7,
} from "@inkwell/shared";
import { and, asc, desc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database, Tx } from "../db/client.ts";
import { entries, entryAnalyses, entryEmbeddings, entryTopics, jobs, topics } from "../db/schema/index.ts";
import type { Position } from "../lib/cursor.ts";
import { NO_ANALYSIS_TEXT, openAnalysisFields } from "./analysis-fields.ts";
import { recordVersion, versionText } from "./entry-versions.ts";
import { tombstoneEntries } from "./vector-tombstones.ts";
import { requireWriter } from "./writer-locks.ts";

export const ANALYZE_ENTRY_JOB = "analyze-entry";
export const PURGE_ENTRY_VECTORS_JOB = "purge-entry-vectors";

type Executor = Database | Tx;

// JSON rather than uuid[]: the driver runs without type fetching (Hyperdrive), so only JSON arrives parsed.
const topicIdsOf = sql<
  string[]
>`coalesce((select json_agg(${entryTopics.topicId} order by ${entryTopics.createdAt}, ${entryTopics.topicId}) from ${entryTopics} where ${entryTopics.entryId} = ${entries.id}), '[]'::json)`;

// The discovered topics an entry belongs to, as the analysis shows them (`analysis.topics`).
const discoveredTopicsOf = sql<
  { id: string; name: string }[]
>`coalesce((select json_agg(json_build_object('id', ${topics.id}, 'name', ${topics.name}) order by ${topics.name}, ${topics.id}) from ${entryTopics} join ${topics} on ${topics.id} = ${entryTopics.topicId} and ${topics.kind} = 'discovered' where ${entryTopics.entryId} = ${entries.id}), '[]'::json)`;

// While the analysis is pending, the job that will answer it (the latest, after an edit), so a reader
// can poll GET /v1/jobs/{id} as the writer who created the entry could.
const pendingJobIdOf = sql<
  string | null
>`case when ${entryAnalyses.status} = 'pending' then (select ${jobs.id} from ${jobs} where ${jobs.entryId} = ${entries.id} and ${jobs.kind} = ${ANALYZE_ENTRY_JOB} order by ${jobs.createdAt} desc, ${jobs.id} desc limit 1) end`;

const entryColumns = {
  id: entries.id,
  userId: entries.userId,
  title: entries.title,
  content: entries.content,
  mood: entries.mood,
  tags: entries.tags,
  favorite: entries.favorite,
  wordCount: entries.wordCount,
  occurredAt: entries.occurredAt,
  createdAt: entries.createdAt,
  updatedAt: entries.updatedAt,
  topicIds: topicIdsOf,
  discoveredTopics: discoveredTopicsOf,
  analysisStatus: entryAnalyses.status,
  sentimentLabel: entryAnalyses.sentimentLabel,
  sentimentScore: entryAnalyses.sentimentScore,
  emotions: entryAnalyses.emotions,
  keywords: entryAnalyses.keywords,
  keywordsCt: entryAnalyses.keywordsCt,
  patterns: entryAnalyses.patterns,
  evidenceCt: entryAnalyses.evidenceCt,
  safetyLevel: entryAnalyses.safetyLevel,
  model: entryAnalyses.model,
  analyzedAt: entryAnalyses.analyzedAt,
  analysisError: entryAnalyses.error,
  pendingJobId: pendingJobIdOf,
};

function selectEntries(db: Executor) {
  return db.select(entryColumns).from(entries).leftJoin(entryAnalyses, eq(entryAnalyses.entryId, entries.id));
}
type EntryRow = Awaited<ReturnType<ReturnType<typeof selectEntries>["execute"]>>[number];

async function toAnalysis(keys: KeySource, row: EntryRow): Promise<EntryAnalysis> {
  const analysis: EntryAnalysis = { status: row.analysisStatus ?? "pending" };
  if (row.sentimentLabel && row.sentimentScore !== null) {
    analysis.sentiment = { label: row.sentimentLabel, score: row.sentimentScore };
  }
  if (row.emotions) analysis.emotions = row.emotions;
  // Keywords and evidence are sealed with the writer's key (analysis-fields.ts); a pending analysis has none.
  const { keywords, patterns } = await openAnalysisFields(keys, { ...row, entryId: row.id });
  if (keywords) analysis.keywords = keywords;
  if (row.safetyLevel) analysis.safety = { level: row.safetyLevel };
  if (patterns) analysis.patterns = patterns;
  if (row.discoveredTopics.length > 0) analysis.topics = row.discoveredTopics;
  if (row.model) analysis.model = row.model;
  if (row.analyzedAt) analysis.analyzedAt = row.analyzedAt.toISOString();
  // The stored reason (node answers, QStash errors) is for administrators; the writer gets a sentence.
  if (row.analysisStatus === "failed") analysis.error = ANALYSIS_FAILED_NOTE;
  return analysis;
}

export const ANALYSIS_FAILED_NOTE =
  "The analysis could not be completed. An administrator can see why and retry it; editing the entry or POST /v1/entries/{id}/reanalyze analyses it again.";

export async function toEntry(keys: KeySource, row: EntryRow): Promise<Entry> {
  return {
    id: row.id,
    title: row.title,
    content: row.content,
    mood: row.mood,
    tags: row.tags,
    topicIds: row.topicIds,
    favorite: row.favorite,
    wordCount: row.wordCount,
    occurredAt: row.occurredAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    analysis: await toAnalysis(keys, row),
    ...(row.pendingJobId ? { jobId: row.pendingJobId } : {}),
  };
}

const ownedLive = (userId: string) => and(eq(entries.userId, userId), isNull(entries.deletedAt));

export async function findEntry(
  db: Executor,
  keys: KeySource,
  userId: string,
  entryId: string,
): Promise<Entry | null> {
  const [row] = await selectEntries(db)
    .where(and(ownedLive(userId), eq(entries.id, entryId)))
    .limit(1);
  return row ? await toEntry(keys, row) : null;
}

/**
 * Every topic id must be one of this user's topics; a foreign or unknown id is answered like a missing one.
 * The topics are key-share locked (after the entry, writer-locks.ts), so none is deleted before the links
 * to it are written.
 */
async function assertOwnTopics(tx: Tx, userId: string, topicIds: string[]): Promise<void> {
  if (topicIds.length === 0) return;
  const found = await tx
    .select({ id: topics.id })
    .from(topics)
    .where(and(eq(topics.userId, userId), inArray(topics.id, topicIds)))
    .orderBy(asc(topics.id))
    .for("key share");
  const known = new Set(found.map((t) => t.id));
  const missing = topicIds.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new InkwellError("NOT_FOUND", `No topic with id ${missing[0]}.`, {
      errors: missing.map((id) => ({ path: `topicIds.${topicIds.indexOf(id)}`, message: "no such topic" })),
    });
  }
}

async function enqueueAnalysis(
  tx: Tx,
  userId: string,
  entryId: string,
  contentVersion: number,
): Promise<string> {
  const jobId = uuidv7();
  await tx.insert(jobs).values({
    id: jobId,
    userId,
    entryId,
    kind: ANALYZE_ENTRY_JOB,
    payload: { entryId, contentVersion },
  });
  return jobId;
}

function contentTooLarge(content: string | undefined): void {
  if (content !== undefined && new TextEncoder().encode(content).length > 64 * 1024) {
    throw new InkwellError("PAYLOAD_TOO_LARGE", "Entry content is limited to 64 KiB.", {
      errors: [{ path: "content", message: "longer than 64 KiB" }],
    });
  }
}

/**
 * The entry, its pending analysis and the analysis job commit together (the outbox). With the request's
 * Idempotency-Key the entry remembers it: Redis guards the key while the request runs, but a first try
 * that committed and then lost its answer (the Worker killed, the commit's acknowledgement cut) frees the
 * key again; its retry is answered with the entry that try wrote, never a second one.
 */
export async function createEntry(
  db: Database,
  keys: KeySource,
  userId: string,
  input: CreateEntryRequest,
  options: { idempotencyKey?: string } = {},
): Promise<Entry> {
  contentTooLarge(input.content);
  const now = new Date();
  const title = input.title ?? null;
  const wordCount = countWords(`${title ?? ""} ${input.content}`);
  const idempotencyKey =
    options.idempotencyKey === undefined ? null : await sha256Hex(options.idempotencyKey);
  const write = () =>
    db.transaction(async (tx) => {
      await requireWriter(tx, userId);
      if (idempotencyKey) {
        const [earlier] = await tx
          .select({ id: entries.id, deletedAt: entries.deletedAt })
          .from(entries)
          .where(and(eq(entries.userId, userId), eq(entries.idempotencyKey, idempotencyKey)))
          .limit(1);
        if (earlier?.deletedAt) {
          throw new InkwellError(
            "CONFLICT",
            "This Idempotency-Key created an entry that has since been deleted.",
          );
        }
        if (earlier) return { entryId: earlier.id, jobId: undefined };
      }
      const entryId = uuidv7();
      await assertOwnTopics(tx, userId, input.topicIds ?? []);
      await tx.insert(entries).values({
        id: entryId,
        userId,
        idempotencyKey,
        title,
        content: input.content,
        mood: input.mood ?? null,
        tags: input.tags ?? [],
        wordCount,
        // Millisecond precision, the same as the cursors that page through these rows.
        occurredAt: input.occurredAt ? new Date(input.occurredAt) : now,
        createdAt: now,
        updatedAt: now,
      });
      await tx.insert(entryAnalyses).values({ entryId, userId, status: "pending", contentVersion: 1 });
      await recordVersion(
        tx,
        { entryId, userId, version: 1, at: now },
        { title, content: input.content, wordCount },
      );
      if (input.topicIds?.length) {
        await tx.insert(entryTopics).values(input.topicIds.map((topicId) => ({ entryId, topicId, userId })));
      }
      return { entryId, jobId: (await enqueueAnalysis(tx, userId, entryId, 1)) as string | undefined };
    });
  let written: Awaited<ReturnType<typeof write>>;
  try {
    written = await write();
  } catch (err) {
    // Two tries of one key at once (Redis lost its record while the first ran): the unique index lets one
    // commit; the other, run again, finds that one's entry.
    if (!idempotencyKey || !isUniqueViolation(err)) throw err;
    written = await write();
  }
  const entry = await findEntry(db, keys, userId, written.entryId);
  if (!entry) throw new InkwellError("INTERNAL", "The entry vanished right after it was written.");
  // A retry answers with the entry as it is now (its analysis job too, while it is pending).
  return written.jobId ? { ...entry, jobId: written.jobId } : entry;
}

function isUniqueViolation(err: unknown): boolean {
  const cause = err instanceof Error && "cause" in err ? err.cause : undefined;
  const code = (e: unknown) => (typeof e === "object" && e !== null && "code" in e ? e.code : undefined);
  return code(err) === "23505" || code(cause) === "23505";
}

/** The analysis of text that no longer exists goes back to pending, for the version now analysed. */
async function resetAnalysis(tx: Tx, entryId: string, version: number): Promise<void> {
  await tx
    .update(entryAnalyses)
    .set({
      status: "pending",
      contentVersion: version,
      sentimentLabel: null,
      sentimentScore: null,
      emotions: null,
      ...NO_ANALYSIS_TEXT,
      safetyLevel: null,
      model: null,
      error: null,
      analyzedAt: null,
      updatedAt: new Date(),
    })
    .where(eq(entryAnalyses.entryId, entryId));
}

export interface UpdateOptions {
  /**
   * Bring back this stored version's title and content: a new version, analysed again like any edit,
   * even when the text equals the current one (a restore is always recorded). Other fields of the
   * patch still apply.
   */
  restoreVersion?: number;
}

/**
 * Applies a change under a row lock. `precondition` sees the current representation first, so an
 * `If-Match` check and the write cannot interleave with another writer. A change of title or content
 * writes the next version (`entry_versions`) in the same transaction.
 */
export async function updateEntry(
  db: Database,
  keys: KeySource,
  userId: string,
  entryId: string,
  patch: UpdateEntryRequest,
  precondition: (current: Entry) => Promise<void>,
  options: UpdateOptions = {},
): Promise<Entry> {
  contentTooLarge(patch.content);
  const jobId = await db.transaction(async (tx) => {
    await requireWriter(tx, userId);
    const [locked] = await tx
      .select({
        id: entries.id,
        content: entries.content,
        title: entries.title,
        version: entries.contentVersion,
      })
      .from(entries)
      .where(and(ownedLive(userId), eq(entries.id, entryId)))
      // Not FOR UPDATE: an analysis result landing meanwhile takes a key-share lock on this row (the
      // foreign key of its embedding) while holding the analysis row this edit must reset; FOR UPDATE
      // would wait on it as it waits on us. NO KEY UPDATE still orders two edits of the same entry.
      .for("no key update");
    if (!locked) throw new InkwellError("NOT_FOUND", "No entry with that id.");
    const current = await findEntry(tx, keys, userId, entryId);
    if (!current) throw new InkwellError("NOT_FOUND", "No entry with that id.");
    await precondition(current);
    if (patch.topicIds) await assertOwnTopics(tx, userId, patch.topicIds);

    const { restoreVersion } = options;
    const restored =
      restoreVersion === undefined ? undefined : await versionText(tx, entryId, restoreVersion);
    if (restoreVersion !== undefined && !restored) {
      throw new InkwellError("NOT_FOUND", `That entry has no version ${restoreVersion}.`);
    }
    const content = restored?.content ?? patch.content ?? locked.content;
    const title = restored ? restored.title : patch.title === undefined ? locked.title : patch.title;
    const contentChanged = restored !== undefined || content !== locked.content || title !== locked.title;
    const version = contentChanged ? locked.version + 1 : locked.version;
    const wordCount = countWords(`${title ?? ""} ${content}`);
    const now = new Date();
    await tx
      .update(entries)
      .set({
        content,
        title,
        ...(patch.mood !== undefined ? { mood: patch.mood } : {}),
        ...(patch.tags !== undefined ? { tags: patch.tags } : {}),
        ...(patch.favorite !== undefined ? { favorite: patch.favorite } : {}),
        ...(patch.occurredAt !== undefined ? { occurredAt: new Date(patch.occurredAt) } : {}),
        wordCount,
        contentVersion: version,
        updatedAt: now,
      })
      .where(eq(entries.id, entryId));
    if (patch.topicIds) {
      await tx.delete(entryTopics).where(eq(entryTopics.entryId, entryId));
      if (patch.topicIds.length > 0) {
        await tx.insert(entryTopics).values(patch.topicIds.map((topicId) => ({ entryId, topicId, userId })));
      }
    }
    if (!contentChanged) return undefined;
    await recordVersion(
      tx,
      { entryId, userId, version, restoredFrom: restoreVersion ?? null, at: now },
      { title, content, wordCount },
    );
    // The old analysis describes text that no longer exists: it goes back to pending, and a result
    // computed for the old version is discarded when it lands.
    await resetAnalysis(tx, entryId, version);
    return await enqueueAnalysis(tx, userId, entryId, version);
  });
  const entry = await findEntry(db, keys, userId, entryId);
  if (!entry) throw new InkwellError("NOT_FOUND", "No entry with that id.");
  return jobId ? { ...entry, jobId } : entry;
}

/**
 * Queues a fresh analysis of the entry's current text, the way an edit does, without a new version:
 * the result lands for the same `contentVersion`. While the analysis is pending, its job is answered
 * instead (`created: false`), so asking twice never analyses twice.
 */
export async function requestReanalysis(
  db: Database,
  userId: string,
  entryId: string,
): Promise<{ jobId: string; created: boolean }> {
  return await db.transaction(async (tx) => {
    await requireWriter(tx, userId);
    // The same lock an edit takes, so a reanalysis and an edit of the entry run one after the other.
    const [locked] = await tx
      .select({ version: entries.contentVersion })
      .from(entries)
      .where(and(ownedLive(userId), eq(entries.id, entryId)))
      .for("no key update");
    if (!locked) throw new InkwellError("NOT_FOUND", "No entry with that id.");
    // A pending analysis whose job is still queued or running will answer; one whose job ended without
    // saying so (it cannot be retried from here) is queued again.
    const [pending] = await tx
      .select({ jobId: jobs.id })
      .from(jobs)
      .innerJoin(entryAnalyses, eq(entryAnalyses.entryId, jobs.entryId))
      .where(
        and(
          eq(jobs.entryId, entryId),
          eq(jobs.kind, ANALYZE_ENTRY_JOB),
          inArray(jobs.status, ["queued", "running"]),
          eq(entryAnalyses.status, "pending"),
        ),
      )
      .orderBy(desc(jobs.createdAt), desc(jobs.id))
      .limit(1);
    if (pending) return { jobId: pending.jobId, created: false };
    await resetAnalysis(tx, entryId, locked.version);
    return { jobId: await enqueueAnalysis(tx, userId, entryId, locked.version), created: true };
  });
}

export async function setFavorite(
  db: Database,
  keys: KeySource,
  userId: string,
  entryId: string,
  favorite: boolean,
): Promise<Entry> {
  const updated = await db
    .update(entries)
    .set({ favorite, updatedAt: new Date() })
    .where(and(ownedLive(userId), eq(entries.id, entryId)))
    .returning({ id: entries.id });
  if (updated.length === 0) throw new InkwellError("NOT_FOUND", "No entry with that id.");
  const entry = await findEntry(db, keys, userId, entryId);
  if (!entry) throw new InkwellError("NOT_FOUND", "No entry with that id.");
  return entry;
}

/**
 * Soft delete: the row stays for the retention period. Its embedding (the vectors' source of truth)
 * goes now, so no reindex can bring the vector back; the copy in Chroma is purged by the returned job.
 * The tombstone tells results and reindex pages in flight that the entry is gone. The purge job names
 * the writer but not the entry: the entry's hard delete at the end of retention must not take it along.
 */
export async function deleteEntry(db: Database, userId: string, entryId: string): Promise<string> {
  return await db.transaction(async (tx) => {
    await requireWriter(tx, userId);
    const deleted = await tx
      .update(entries)
      .set({ deletedAt: new Date(), updatedAt: new Date() })
      .where(and(ownedLive(userId), eq(entries.id, entryId)))
      .returning({ id: entries.id });
    if (deleted.length === 0) throw new InkwellError("NOT_FOUND", "No entry with that id.");
    await tx.delete(entryEmbeddings).where(eq(entryEmbeddings.entryId, entryId));
    await tombstoneEntries(tx, userId, [entryId]);
    const jobId = uuidv7();
    await tx.insert(jobs).values({
      id: jobId,
      userId,
      kind: PURGE_ENTRY_VECTORS_JOB,
      payload: { entryId },
    });
    return jobId;
  });
}

export interface ListOptions extends ListEntriesQuery {
  limit: number;
  after?: Position | undefined;
  /** Restrict to one topic (the topic's entries route). */
  topicOnly?: string;
}

/** A page of entries, newest first, plus the position after its last item when more exist. */
export async function listEntries(
  db: Database,
  keys: KeySource,
  userId: string,
  options: ListOptions,
): Promise<{ items: Entry[]; last: Position | null }> {
  const conditions: (SQL | undefined)[] = [ownedLive(userId)];
  if (options.from)
    conditions.push(sql`${entries.occurredAt} >= ${new Date(options.from).toISOString()}::timestamptz`);
  if (options.to)
    conditions.push(sql`${entries.occurredAt} < ${new Date(options.to).toISOString()}::timestamptz`);
  if (options.tag) conditions.push(sql`${entries.tags} @> array[${options.tag.toLowerCase()}]::text[]`);
  if (options.favorite !== undefined) conditions.push(eq(entries.favorite, options.favorite));
  const topicId = options.topicOnly ?? options.topicId;
  if (topicId) {
    conditions.push(
      sql`exists (select 1 from ${entryTopics} where ${entryTopics.entryId} = ${entries.id} and ${entryTopics.topicId} = ${topicId})`,
    );
  }
  if (options.q) conditions.push(sql`${entries.search} @@ websearch_to_tsquery('english', ${options.q})`);
  if (options.mood) {
    conditions.push(sql`${entries.mood} between ${options.mood.min} and ${options.mood.max}`);
  }
  // The left-joined analysis: a pending or failed one has no label and so never matches.
  if (options.sentiment) conditions.push(eq(entryAnalyses.sentimentLabel, options.sentiment));
  if (options.after) {
    conditions.push(
      sql`(${entries.occurredAt}, ${entries.id}) < (${new Date(options.after.at).toISOString()}::timestamptz, ${options.after.id}::uuid)`,
    );
  }
  const rows = await selectEntries(db)
    .where(and(...conditions))
    .orderBy(desc(entries.occurredAt), desc(entries.id))
    .limit(options.limit + 1);
  const page = await Promise.all(rows.slice(0, options.limit).map((row) => toEntry(keys, row)));
  const lastItem = page.at(-1);
  return {
    items: page,
    last: rows.length > options.limit && lastItem ? { at: lastItem.occurredAt, id: lastItem.id } : null,
  };
}
