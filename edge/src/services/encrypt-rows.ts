import { InkwellError, uuidv7 } from "@inkwell/shared";
import { and, asc, eq, gt, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { DataKeyring, rootKeysOf } from "../crypto/data-keys.ts";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { chatMessages, chatSessions, entryAnalyses, jobs, reflections, topics } from "../db/schema/index.ts";
import type { AppConfig } from "../env.ts";
import { errorName, log } from "../lib/log.ts";
import { openAnalysisFields, sealAnalysisFields } from "./analysis-fields.ts";
import { sealMessageFields, sealSessionFields } from "./chat.ts";
import { sealReflectionFields } from "./reflections.ts";
import { sealTopicFields } from "./topic-fields.ts";

/**
 * The migration of rows written before encryption (docs/design/encryption.md): each table is walked in
 * id order from a cursor, and each row still holding plaintext is sealed with its writer's key and its
 * plaintext columns emptied in one conditional update. The condition is the plaintext the run read, so a
 * write that landed meanwhile (a rename, a new summary, a reflection asked for again) wins and the row is
 * left for that write's own sealed values. Readers handle both forms throughout, so the service never
 * waits for this.
 */
export const ENCRYPT_ROWS_JOB = "encrypt-rows";
export const ENCRYPTED_TABLES = [
  "chat_messages",
  "chat_sessions",
  "reflections",
  "entry_analyses",
  "topics",
] as const;
export type EncryptedTable = (typeof ENCRYPTED_TABLES)[number];

export interface BatchResult {
  /** Rows sealed by this batch. */
  encrypted: number;
  /** Rows left as they were: written meanwhile, or their writer's key could not be had (deleted). */
  skipped: number;
  /** The last id looked at, where the next batch starts; null when the table's end was reached. */
  last: string | null;
}

type Scope = { userIds?: readonly string[] | undefined };

const scoped = (column: Parameters<typeof inArray>[0], scope: Scope): SQL | undefined =>
  scope.userIds ? inArray(column, [...scope.userIds]) : undefined;

/** `column` equals `value`, nulls included, for a jsonb value as read. */
const sameJson = (column: Parameters<typeof eq>[0], value: unknown): SQL =>
  value === null ? sql`${column} is null` : sql`${column} = ${JSON.stringify(value)}::jsonb`;

const plaintextOf: Record<EncryptedTable, SQL> = {
  chat_messages: sql`${chatMessages.content} is not null`,
  chat_sessions: sql`(${chatSessions.title} is not null or ${chatSessions.summary} is not null or cardinality(${chatSessions.tags}) > 0)`,
  reflections: sql`(${reflections.text} is not null or ${reflections.themes} is not null)`,
  entry_analyses: sql`(${entryAnalyses.keywords} is not null or ${entryAnalyses.patterns} @? '$[*].evidence')`,
  topics: sql`(${topics.description} is not null or ${topics.keywords} is not null)`,
};

/** A writer deleted meanwhile has no key to be had (their rows go with the account). */
const accountGone = (err: unknown): boolean => err instanceof InkwellError && err.code === "NOT_FOUND";

/**
 * One row: its sealed values replace its plaintext, unless it changed since it was read. A row that
 * cannot be sealed for any other reason (a sealed part that does not open, a database error) is left as
 * it is and logged as an error with its table and id, so the run goes on and the fault is seen; the
 * table's next pass tries it again.
 */
async function sealRow(
  table: EncryptedTable,
  id: string,
  work: () => Promise<boolean>,
): Promise<"encrypted" | "skipped"> {
  try {
    return (await work()) ? "encrypted" : "skipped";
  } catch (err) {
    if (accountGone(err)) log.warn("row left in plaintext", { table, error: errorName(err) });
    else log.error("row could not be sealed", { table, rowId: id, error: errorName(err) });
    return "skipped";
  }
}

export async function encryptMessageRow(
  db: Database,
  keys: KeySource,
  row: typeof chatMessages.$inferSelect,
): Promise<boolean> {
  if (row.content === null) return false;
  const sealed = await sealMessageFields(keys, row, { content: row.content, suggestions: row.suggestions });
  // A message's text never changes once written: the only race is with another run of this job.
  const written = await db
    .update(chatMessages)
    .set(sealed)
    .where(and(eq(chatMessages.id, row.id), sql`${chatMessages.content} is not null`))
    .returning({ id: chatMessages.id });
  return written.length > 0;
}

export async function encryptSessionRow(
  db: Database,
  keys: KeySource,
  row: typeof chatSessions.$inferSelect,
): Promise<boolean> {
  if (row.title === null && row.summary === null && row.tags.length === 0) return false;
  const sealed = await sealSessionFields(keys, row, {
    ...(row.title !== null ? { title: row.title } : {}),
    ...(row.summary !== null ? { summary: row.summary } : {}),
    ...(row.tags.length > 0 ? { tags: row.tags } : {}),
  });
  const written = await db
    .update(chatSessions)
    .set(sealed)
    .where(
      and(
        eq(chatSessions.id, row.id),
        row.title === null ? isNull(chatSessions.title) : eq(chatSessions.title, row.title),
        sameJson(chatSessions.summary, row.summary),
        sql`to_jsonb(${chatSessions.tags}) = ${JSON.stringify(row.tags)}::jsonb`,
      ),
    )
    .returning({ id: chatSessions.id });
  return written.length > 0;
}

export async function encryptReflectionRow(
  db: Database,
  keys: KeySource,
  row: typeof reflections.$inferSelect,
): Promise<boolean> {
  if (row.text === null && row.themes === null) return false;
  const sealed = await sealReflectionFields(keys, row, {
    ...(row.text !== null ? { text: row.text } : {}),
    ...(row.themes !== null ? { themes: row.themes } : {}),
  });
  const written = await db
    .update(reflections)
    .set(sealed)
    .where(
      and(
        eq(reflections.id, row.id),
        row.text === null ? isNull(reflections.text) : eq(reflections.text, row.text),
        sameJson(reflections.themes, row.themes),
      ),
    )
    .returning({ id: reflections.id });
  return written.length > 0;
}

/**
 * An analysis: keywords and each pattern's evidence sealed, labels and scores left in the clear. An edit
 * (which resets the analysis) or a new result for the entry meanwhile changes what was read, and wins.
 */
export async function encryptAnalysisRow(
  db: Database,
  keys: KeySource,
  row: typeof entryAnalyses.$inferSelect,
): Promise<boolean> {
  if (row.keywords === null && !row.patterns?.some((p) => p.evidence !== undefined)) return false;
  // Opened as any reader would: a sealed part stays as it is, a plaintext part is what gets sealed.
  const opened = await openAnalysisFields(keys, row);
  const sealed = await sealAnalysisFields(keys, row, {
    keywords: opened.keywords ?? [],
    patterns: opened.patterns,
  });
  const written = await db
    .update(entryAnalyses)
    .set({
      ...sealed,
      // An analysis that never had keywords keeps none rather than an empty list.
      ...(opened.keywords === null && row.keywordsCt === null ? { keywordsCt: null } : {}),
    })
    .where(
      and(
        eq(entryAnalyses.entryId, row.entryId),
        eq(entryAnalyses.contentVersion, row.contentVersion),
        row.keywords === null
          ? isNull(entryAnalyses.keywords)
          : sql`to_jsonb(${entryAnalyses.keywords}) = ${JSON.stringify(row.keywords)}::jsonb`,
        sameJson(entryAnalyses.patterns, row.patterns),
      ),
    )
    .returning({ id: entryAnalyses.entryId });
  return written.length > 0;
}

/** A topic's description and keywords; a rename or a discovery run meanwhile changes them, and wins. */
export async function encryptTopicRow(
  db: Database,
  keys: KeySource,
  row: typeof topics.$inferSelect,
): Promise<boolean> {
  if (row.description === null && row.keywords === null) return false;
  const sealed = await sealTopicFields(keys, row, {
    ...(row.description !== null ? { description: row.description } : {}),
    ...(row.keywords !== null ? { keywords: row.keywords } : {}),
  });
  const written = await db
    .update(topics)
    .set(sealed)
    .where(
      and(
        eq(topics.id, row.id),
        row.description === null ? isNull(topics.description) : eq(topics.description, row.description),
        row.keywords === null
          ? isNull(topics.keywords)
          : sql`to_jsonb(${topics.keywords}) = ${JSON.stringify(row.keywords)}::jsonb`,
      ),
    )
    .returning({ id: topics.id });
  return written.length > 0;
}

/** Seals up to `limit` plaintext rows of one table after `after` (keyset on the id). */
export async function encryptBatch(
  db: Database,
  keys: KeySource,
  table: EncryptedTable,
  options: Scope & { after: string | null; limit: number },
): Promise<BatchResult> {
  const counts = { encrypted: 0, skipped: 0 };
  const tally = (outcome: "encrypted" | "skipped") => {
    counts[outcome] += 1;
  };
  let ids: string[];
  if (table === "chat_messages") {
    const rows = await db
      .select()
      .from(chatMessages)
      .where(
        and(
          plaintextOf.chat_messages,
          options.after ? gt(chatMessages.id, options.after) : undefined,
          scoped(chatMessages.userId, options),
        ),
      )
      .orderBy(asc(chatMessages.id))
      .limit(options.limit);
    for (const row of rows)
      tally(await sealRow("chat_messages", row.id, () => encryptMessageRow(db, keys, row)));
    ids = rows.map((r) => r.id);
  } else if (table === "chat_sessions") {
    const rows = await db
      .select()
      .from(chatSessions)
      .where(
        and(
          plaintextOf.chat_sessions,
          options.after ? gt(chatSessions.id, options.after) : undefined,
          scoped(chatSessions.userId, options),
        ),
      )
      .orderBy(asc(chatSessions.id))
      .limit(options.limit);
    for (const row of rows)
      tally(await sealRow("chat_sessions", row.id, () => encryptSessionRow(db, keys, row)));
    ids = rows.map((r) => r.id);
  } else if (table === "topics") {
    const rows = await db
      .select()
      .from(topics)
      .where(
        and(
          plaintextOf.topics,
          options.after ? gt(topics.id, options.after) : undefined,
          scoped(topics.userId, options),
        ),
      )
      .orderBy(asc(topics.id))
      .limit(options.limit);
    for (const row of rows) tally(await sealRow("topics", row.id, () => encryptTopicRow(db, keys, row)));
    ids = rows.map((r) => r.id);
  } else if (table === "entry_analyses") {
    const rows = await db
      .select()
      .from(entryAnalyses)
      .where(
        and(
          plaintextOf.entry_analyses,
          options.after ? gt(entryAnalyses.entryId, options.after) : undefined,
          scoped(entryAnalyses.userId, options),
        ),
      )
      .orderBy(asc(entryAnalyses.entryId))
      .limit(options.limit);
    for (const row of rows)
      tally(await sealRow("entry_analyses", row.entryId, () => encryptAnalysisRow(db, keys, row)));
    ids = rows.map((r) => r.entryId);
  } else {
    const rows = await db
      .select()
      .from(reflections)
      .where(
        and(
          plaintextOf.reflections,
          options.after ? gt(reflections.id, options.after) : undefined,
          scoped(reflections.userId, options),
        ),
      )
      .orderBy(asc(reflections.id))
      .limit(options.limit);
    for (const row of rows)
      tally(await sealRow("reflections", row.id, () => encryptReflectionRow(db, keys, row)));
    ids = rows.map((r) => r.id);
  }
  return { ...counts, last: ids.length === options.limit ? (ids.at(-1) ?? null) : null };
}

/** Whether any row of the table still holds plaintext (answered by the table's partial index). */
async function hasPlaintext(db: Database, table: EncryptedTable, scope: Scope): Promise<boolean> {
  const found =
    table === "chat_messages"
      ? await db
          .select({ id: chatMessages.id })
          .from(chatMessages)
          .where(and(plaintextOf.chat_messages, scoped(chatMessages.userId, scope)))
          .limit(1)
      : table === "chat_sessions"
        ? await db
            .select({ id: chatSessions.id })
            .from(chatSessions)
            .where(and(plaintextOf.chat_sessions, scoped(chatSessions.userId, scope)))
            .limit(1)
        : table === "topics"
          ? await db
              .select({ id: topics.id })
              .from(topics)
              .where(and(plaintextOf.topics, scoped(topics.userId, scope)))
              .limit(1)
          : table === "reflections"
            ? await db
                .select({ id: reflections.id })
                .from(reflections)
                .where(and(plaintextOf.reflections, scoped(reflections.userId, scope)))
                .limit(1)
            : await db
                .select({ id: entryAnalyses.entryId })
                .from(entryAnalyses)
                .where(and(plaintextOf.entry_analyses, scoped(entryAnalyses.userId, scope)))
                .limit(1);
  return found.length > 0;
}

/** Where the job stands, in its row's payload: the table it walks and the last id it looked at. */
interface Progress {
  table: EncryptedTable;
  after: string | null;
  encrypted: number;
  skipped: number;
}

function progressOf(payload: Record<string, unknown>): Progress {
  const table = ENCRYPTED_TABLES.find((t) => t === payload.table) ?? ENCRYPTED_TABLES[0];
  return {
    table,
    after: typeof payload.after === "string" ? payload.after : null,
    encrypted: typeof payload.encrypted === "number" ? payload.encrypted : 0,
    skipped: typeof payload.skipped === "number" ? payload.skipped : 0,
  };
}

export interface EncryptRowsRun {
  jobId: string | null;
  encrypted: number;
  skipped: number;
  /** True once no table holds plaintext (the job is then done). */
  finished: boolean;
}

/**
 * One run of the `encrypt-rows` job: up to `batches` batches, continuing from the cursor its job row
 * keeps, so a run cut short (the cron's time, a deploy) loses at most one batch of work, which the next
 * run repeats harmlessly. A table's pass ends at its last id; one that still holds rows (written
 * meanwhile, or skipped) is walked again from the start, and the job is done when no table holds any.
 * Two runs at once do the same rows twice at worst: each row's update is conditional.
 */
export async function runEncryptRows(
  db: Database,
  keys: KeySource,
  options: Scope & { batches: number; limit: number },
): Promise<EncryptRowsRun> {
  // `userIds` narrows which rows a run seals (tests share one database); the cursor is still the one job
  // row's, so the hourly cron never passes it.
  const [open] = await db
    .select({ id: jobs.id, payload: jobs.payload })
    .from(jobs)
    .where(and(eq(jobs.kind, ENCRYPT_ROWS_JOB), eq(jobs.status, "running")))
    .orderBy(asc(jobs.id))
    .limit(1);
  let jobId = open?.id ?? null;
  let progress = progressOf(open?.payload ?? {});
  let encrypted = 0;
  let skipped = 0;
  for (let batch = 0; batch < options.batches; batch++) {
    if (!(await hasPlaintext(db, progress.table, options))) {
      const next = ENCRYPTED_TABLES.slice(ENCRYPTED_TABLES.indexOf(progress.table) + 1);
      const remaining: EncryptedTable[] = [];
      for (const table of [...next, ...ENCRYPTED_TABLES]) {
        if (await hasPlaintext(db, table, options)) remaining.push(table);
      }
      const table = remaining[0];
      if (!table) {
        if (jobId) {
          await db
            .update(jobs)
            .set({
              status: "done",
              finishedAt: new Date(),
              updatedAt: new Date(),
              result: { encrypted: progress.encrypted, skipped: progress.skipped },
            })
            .where(eq(jobs.id, jobId));
        }
        return { jobId, encrypted, skipped, finished: true };
      }
      progress = { ...progress, table, after: null };
    }
    const result = await encryptBatch(db, keys, progress.table, { ...options, after: progress.after });
    encrypted += result.encrypted;
    skipped += result.skipped;
    progress = {
      table: progress.table,
      after: result.last,
      encrypted: progress.encrypted + result.encrypted,
      skipped: progress.skipped + result.skipped,
    };
    if (!jobId) {
      jobId = await openJobRow(db, progress);
    } else {
      await db
        .update(jobs)
        .set({ payload: { ...progress }, updatedAt: new Date() })
        .where(eq(jobs.id, jobId));
    }
  }
  return { jobId, encrypted, skipped, finished: false };
}

/**
 * The job row a first run keeps its cursor in: created once, under a lock, so two runs that start
 * together share one row instead of leaving a second one running forever.
 */
async function openJobRow(db: Database, progress: Progress): Promise<string> {
  return await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${ENCRYPT_ROWS_JOB}))`);
    const [existing] = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.kind, ENCRYPT_ROWS_JOB), eq(jobs.status, "running")))
      .orderBy(asc(jobs.id))
      .limit(1);
    if (existing) {
      await tx
        .update(jobs)
        .set({ payload: { ...progress }, updatedAt: new Date() })
        .where(eq(jobs.id, existing.id));
      return existing.id;
    }
    const id = uuidv7();
    await tx.insert(jobs).values({
      id,
      kind: ENCRYPT_ROWS_JOB,
      status: "running",
      attempts: 1,
      startedAt: new Date(),
      payload: { ...progress },
    });
    return id;
  });
}

/** Rows per batch and batches per hourly run: about 2,000 rows an hour, each a small update. */
const BATCH_ROWS = 200;
const BATCHES_PER_RUN = 10;

export const encryptRowsTask = {
  name: "encrypt-rows",
  crons: ["0 * * * *"],
  async run(ctx: {
    db: Database;
    config: Pick<AppConfig, "DATA_ROOT_KEYS" | "DATA_ROOT_KEY_VERSION">;
  }): Promise<void> {
    const keys = new DataKeyring(ctx.db, rootKeysOf(ctx.config));
    const run = await runEncryptRows(ctx.db, keys, { batches: BATCHES_PER_RUN, limit: BATCH_ROWS });
    if (run.encrypted + run.skipped > 0) {
      log.info("plaintext rows encrypted", {
        jobId: run.jobId ?? "none",
        encrypted: run.encrypted,
        skipped: run.skipped,
        finished: run.finished,
      });
    }
  },
};
