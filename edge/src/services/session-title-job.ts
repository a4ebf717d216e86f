import {
  keywordSessionTitle,
  SESSION_TITLE_MAX_MESSAGE_CHARS,
  SESSION_TITLE_MAX_MESSAGES,
  type SessionTitle,
  type TitleSessionJob,
  type TitleSessionResult,
} from "@inkwell/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { chatMessages, chatSessions, jobs } from "../db/schema/index.ts";
import { openMessageRow, sealSessionFields } from "./chat.ts";
import { lockOpenJob } from "./job-lock.ts";

/**
 * The `title-session` job: a node's language model names a session from its first messages. The job row
 * carries only the session id; the messages are read when the job is dispatched, so no conversation text
 * sits in the outbox. This module has no dependency on the dispatcher, which lists it among its job kinds.
 */
export const TITLE_SESSION_JOB = "title-session";

export const titleSessionPayload = z.object({ sessionId: z.string() });

type JobRow = typeof jobs.$inferSelect;
/** The database or a transaction on it. */
type Queries = Pick<Database, "select" | "update">;
type Built = { kind: "publish"; body: TitleSessionJob } | { kind: "finish"; note: string };

const DELETED = "The session was deleted; nothing to title.";
const NAMED = "The session was named by its owner; the automatic title is not applied.";

async function ownedSession(db: Queries, userId: string | null, sessionId: string) {
  if (!userId) return undefined;
  const [session] = await db
    .select({ id: chatSessions.id, titleSetByUser: chatSessions.titleSetByUser })
    .from(chatSessions)
    .where(and(eq(chatSessions.id, sessionId), eq(chatSessions.userId, userId)))
    .limit(1);
  return session;
}

async function openingMessages(db: Database, keys: KeySource, userId: string, sessionId: string) {
  const rows = await db
    .select()
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.sessionId, sessionId),
        eq(chatMessages.userId, userId),
        // A greeting is the app's template, not what the conversation is about.
        eq(chatMessages.kind, "message"),
      ),
    )
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.id))
    .limit(SESSION_TITLE_MAX_MESSAGES);
  const opened = await Promise.all(rows.map((row) => openMessageRow(keys, row)));
  return opened
    .map((r) => ({ role: r.role, content: r.content.trim().slice(0, SESSION_TITLE_MAX_MESSAGE_CHARS) }))
    .filter((m) => m.content.length > 0);
}

export async function buildTitleSession(
  db: Database,
  job: JobRow,
  attempt: number,
  keys: KeySource,
): Promise<Built> {
  const { sessionId } = titleSessionPayload.parse(job.payload);
  const session = await ownedSession(db, job.userId, sessionId);
  if (!session) return { kind: "finish", note: DELETED };
  if (session.titleSetByUser) return { kind: "finish", note: NAMED };
  const messages = await openingMessages(db, keys, job.userId ?? "", sessionId);
  if (messages.length === 0) return { kind: "finish", note: "The session has no messages to title." };
  return { kind: "publish", body: { jobId: job.id, attempt, sessionId, messages } };
}

/**
 * Writes a title unless the owner named the session; tags only where the session has none, so tags a
 * person set are kept too. One conditional statement, so a rename committed first always wins.
 */
export async function writeSessionTitle(
  db: Queries,
  keys: KeySource,
  userId: string,
  sessionId: string,
  named: SessionTitle,
): Promise<boolean> {
  const { title, titleCt, tagsCt } = await sealSessionFields(
    keys,
    { userId, id: sessionId },
    { title: named.title, tags: named.tags },
  );
  const written = await db
    .update(chatSessions)
    .set({
      title,
      titleCt,
      // Tags only for a session without any (sealed or, from before encryption, plaintext).
      tagsCt: sql`case when ${chatSessions.tagsCt} is null and cardinality(${chatSessions.tags}) = 0 then ${tagsCt ?? null}::text else ${chatSessions.tagsCt} end`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(chatSessions.id, sessionId),
        eq(chatSessions.userId, userId),
        eq(chatSessions.titleSetByUser, false),
      ),
    )
    .returning({ id: chatSessions.id });
  return written.length > 0;
}

/** The keyword title from what the person wrote: what the edge does itself when no model can. */
export async function keywordTitle(
  db: Database,
  keys: KeySource,
  userId: string,
  sessionId: string,
): Promise<boolean> {
  const rows = await db
    .select()
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.sessionId, sessionId),
        eq(chatMessages.userId, userId),
        eq(chatMessages.role, "user"),
      ),
    )
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.id))
    .limit(SESSION_TITLE_MAX_MESSAGES);
  if (rows.length === 0) return false;
  const opened = await Promise.all(rows.map((row) => openMessageRow(keys, row)));
  return await writeSessionTitle(
    db,
    keys,
    userId,
    sessionId,
    keywordSessionTitle(opened.map((r) => r.content)),
  );
}

/**
 * When no node can run the job (none serves a language model, or every attempt failed): the session is
 * titled from its keywords at the edge, so no session waits forever for a name.
 */
export async function titleSessionWithoutNode(db: Database, jobId: string, keys: KeySource): Promise<string> {
  const [job] = await db
    .select({ userId: jobs.userId, payload: jobs.payload })
    .from(jobs)
    .where(eq(jobs.id, jobId))
    .limit(1);
  const payload = titleSessionPayload.safeParse(job?.payload);
  if (!job?.userId || !payload.success) return DELETED;
  const session = await ownedSession(db, job.userId, payload.data.sessionId);
  if (!session) return DELETED;
  if (session.titleSetByUser) return NAMED;
  await keywordTitle(db, keys, job.userId, payload.data.sessionId);
  return "No inference node serves a language model; the session was titled from its keywords.";
}

export type TitleOutcome = "applied" | "duplicate" | "discarded-stale" | "unknown-job" | "mismatch";

/**
 * The node's answer, applied once: the job row lock orders duplicate deliveries, the session is the one
 * the job names (never one the answer names) and is written only for the job's owner.
 */
export async function applySessionTitle(
  db: Database,
  keys: KeySource,
  jobId: string,
  result: TitleSessionResult,
): Promise<{ outcome: TitleOutcome; userId?: string }> {
  // Whose the job is never changes: the owner's key is made ready before the transaction, so sealing
  // inside it needs no query of its own.
  const [owner] = await db.select({ userId: jobs.userId }).from(jobs).where(eq(jobs.id, jobId)).limit(1);
  if (owner?.userId) await keys.current(owner.userId);
  return await db.transaction(async (tx) => {
    const locked = await lockOpenJob(tx, jobId);
    if ("outcome" in locked) return { outcome: locked.outcome };
    const { job } = locked;
    const payload = titleSessionPayload.safeParse(job.payload);
    if (!payload.success || payload.data.sessionId !== result.sessionId || !job.userId) {
      return { outcome: "mismatch" as const };
    }
    const now = new Date();
    const written = await writeSessionTitle(tx, keys, job.userId, result.sessionId, {
      title: result.title,
      tags: result.tags,
    });
    const note = written
      ? null
      : `Result discarded: ${(await ownedSession(tx, job.userId, result.sessionId)) ? "the session was named by its owner" : "the session was deleted"}.`;
    await tx
      .update(jobs)
      .set({
        status: "done",
        error: note,
        finishedAt: now,
        updatedAt: now,
        result: { source: result.source, ...(result.model ? { model: result.model } : {}), applied: written },
      })
      .where(eq(jobs.id, jobId));
    return written
      ? { outcome: "applied" as const, userId: job.userId }
      : { outcome: "discarded-stale" as const };
  });
}
