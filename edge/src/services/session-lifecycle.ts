import { type ChatSession, InkwellError, type SessionSummary, type SessionType } from "@inkwell/shared";
import { and, desc, eq, ne } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { chatMessages, chatSessions } from "../db/schema/index.ts";
import {
  messageCount,
  openMessageRow,
  openSessionRow,
  sealSessionFields,
  sessionRow,
  toSession,
} from "./chat.ts";
import type { LlmPrompt } from "./chat-llm.ts";
import { composeSummary, type SummaryTurn } from "./chat-summary.ts";
import { lockWriter } from "./writer-locks.ts";

const notFound = () => new InkwellError("NOT_FOUND", "No session with that id.");

/** The most messages a summary reads (the latest ones); each is cut to its first 2,000 characters. */
const SUMMARY_MESSAGES = 200;

/**
 * Pauses or resumes a session, in the lock order (the writer's row, then the session). Asking for the
 * state it is already in changes nothing; an ended session cannot be paused or resumed (409).
 */
export async function setSessionPaused(
  db: Database,
  keys: KeySource,
  userId: string,
  id: string,
  paused: boolean,
): Promise<ChatSession> {
  await sessionRow(db, userId, id); // 404 for a malformed, unknown or foreign id, before any lock
  const row = await db.transaction(async (tx) => {
    if (!(await lockWriter(tx, userId))) throw notFound();
    const [current] = await tx
      .select()
      .from(chatSessions)
      .where(and(eq(chatSessions.id, id), eq(chatSessions.userId, userId)))
      .for("update");
    if (!current) throw notFound();
    if (current.status === "ended")
      throw new InkwellError(
        "CONFLICT",
        `This session has ended; an ended session cannot be ${paused ? "paused" : "resumed"}.`,
      );
    if ((current.status === "paused") === paused) return current;
    const now = new Date();
    const [updated] = await tx
      .update(chatSessions)
      .set({ status: paused ? "paused" : "active", pausedAt: paused ? now : null, updatedAt: now })
      .where(eq(chatSessions.id, id))
      .returning();
    return updated ?? current;
  });
  return toSession(await openSessionRow(keys, row), await messageCount(db, id));
}

async function summaryTurns(
  db: Database,
  keys: KeySource,
  userId: string,
  sessionId: string,
): Promise<SummaryTurn[]> {
  const rows = await db
    .select()
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.sessionId, sessionId),
        eq(chatMessages.userId, userId),
        eq(chatMessages.kind, "message"),
      ),
    )
    .orderBy(desc(chatMessages.createdAt), desc(chatMessages.id))
    .limit(SUMMARY_MESSAGES);
  const opened = await Promise.all(rows.reverse().map((row) => openMessageRow(keys, row)));
  return opened.map((r) => ({
    role: r.role,
    content: r.content.slice(0, 2000),
    crisis: r.safety.level === "high" || r.safety.level === "critical",
    citedEntries: r.citations.filter((c) => c.kind === "entry").map((c) => c.id),
  }));
}

/**
 * Ends a session for good and stores its summary: written by a node's model when one answers, otherwise
 * made from the writer's own topics (chat-summary.ts). The summary is composed before the transaction
 * (a model may take seconds), which then takes the writer's row and the session in the lock order.
 * Ending an ended session answers it as it is; its summary is never written twice.
 */
export async function endSession(
  db: Database,
  keys: KeySource,
  userId: string,
  id: string,
  generate: (prompt: LlmPrompt) => Promise<{ text: string; model: string } | null>,
): Promise<ChatSession> {
  const session = await sessionRow(db, userId, id);
  if (session.status === "ended")
    return toSession(await openSessionRow(keys, session), await messageCount(db, id));
  const turns = await summaryTurns(db, keys, userId, id);
  const now = new Date();
  const summary: SessionSummary = await composeSummary(session.type as SessionType, turns, generate, now);
  const sealed = await sealSessionFields(keys, { userId, id }, { summary });
  const ended = await db.transaction(async (tx) => {
    if (!(await lockWriter(tx, userId))) throw notFound();
    const [row] = await tx
      .update(chatSessions)
      .set({ status: "ended", endedAt: now, pausedAt: null, ...sealed, updatedAt: now })
      .where(and(eq(chatSessions.id, id), eq(chatSessions.userId, userId), ne(chatSessions.status, "ended")))
      .returning();
    return row;
  });
  // Ended by a request that ran alongside: its summary stands.
  const row = ended ?? (await sessionRow(db, userId, id));
  return toSession(await openSessionRow(keys, row), await messageCount(db, id));
}
