import {
  assessSafety,
  type ChatMessage,
  type ChatSession,
  type Citation,
  CRISIS_RESOURCES,
  type CreatedSession,
  extractCitations,
  InkwellError,
  MESSAGE_MAX_CHARS,
  mergeSafety,
  type SafetyResult,
  type SessionType,
  uuidv7,
} from "@inkwell/shared";
import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import { type ColumnRef, openJson, openText, sealJson, sealText } from "../crypto/sealed-columns.ts";
import type { Database } from "../db/client.ts";
import { chatMessages, chatSessions, entries } from "../db/schema/index.ts";
import type { Position } from "../lib/cursor.ts";
import { isUuid } from "../lib/ids.ts";
import { composeGreeting, greetingGrounds } from "./chat-greeting.ts";
import {
  patternName,
  patternsBlock,
  recentThinkingPatterns,
  type ThinkingPatterns,
} from "./chat-patterns.ts";
import { CRISIS_PROMPT, SESSION_TYPES } from "./chat-prompts.ts";
import { followUpSuggestions } from "./chat-suggestions.ts";
import { anyWordQuery } from "./keyword-search.ts";
import { lockWriter } from "./writer-locks.ts";

const notFound = () => new InkwellError("NOT_FOUND", "No session with that id.");

type SessionRow = typeof chatSessions.$inferSelect;
type MessageRow = typeof chatMessages.$inferSelect;
/** A message row with its text opened (sealed or, for a row from before encryption, plaintext). */
export type OpenMessageRow = MessageRow & { content: string };
type SessionSummaryValue = NonNullable<SessionRow["summary"]>;

const sessionRef = (row: { userId: string; id: string }): ColumnRef => ({
  userId: row.userId,
  table: "chat_sessions",
  rowId: row.id,
});
const messageRef = (row: { userId: string; id: string }): ColumnRef => ({
  userId: row.userId,
  table: "chat_messages",
  rowId: row.id,
});

/** A session's title and summary as stored: sealed with the writer's key, the plaintext columns empty. */
export async function sealSessionFields(
  keys: KeySource,
  row: { userId: string; id: string },
  fields: { title?: string | null; summary?: SessionSummaryValue; tags?: string[] },
): Promise<Partial<typeof chatSessions.$inferInsert>> {
  const ref = sessionRef(row);
  const out: Partial<typeof chatSessions.$inferInsert> = {};
  if (fields.title !== undefined) {
    out.title = null;
    out.titleCt = fields.title === null ? null : await sealText(keys, ref, "title", fields.title);
  }
  if (fields.summary !== undefined) {
    out.summary = null;
    out.summaryCt = await sealJson(keys, ref, "summary", fields.summary);
  }
  if (fields.tags !== undefined) {
    // No tags is no sealed value, so "has none" stays a plain test (an automatic title fills only those).
    out.tags = [];
    out.tagsCt = fields.tags.length === 0 ? null : await sealJson(keys, ref, "tags", fields.tags);
  }
  return out;
}

/** The session row with its title and summary opened, ready for toSession. */
export async function openSessionRow(keys: KeySource, row: SessionRow): Promise<SessionRow> {
  const ref = sessionRef(row);
  const [title, summary, tags] = await Promise.all([
    openText(keys, ref, "title", row.titleCt, row.title),
    openJson<SessionSummaryValue, SessionSummaryValue | null>(
      keys,
      ref,
      "summary",
      row.summaryCt,
      row.summary,
    ),
    openJson<string[], string[]>(keys, ref, "tags", row.tagsCt, row.tags),
  ]);
  return { ...row, title, titleCt: null, summary, summaryCt: null, tags, tagsCt: null };
}

/** A message's text and suggestions as stored: sealed with the writer's key, the plaintext columns empty. */
export async function sealMessageFields(
  keys: KeySource,
  row: { userId: string; id: string },
  fields: { content: string; suggestions?: string[] | undefined },
): Promise<Pick<MessageRow, "content" | "contentCt" | "suggestions" | "suggestionsCt">> {
  const ref = messageRef(row);
  const suggestions = fields.suggestions ?? [];
  return {
    content: null,
    contentCt: await sealText(keys, ref, "content", fields.content),
    suggestions: [],
    suggestionsCt: suggestions.length > 0 ? await sealJson(keys, ref, "suggestions", suggestions) : null,
  };
}

/** The message row with its text and suggestions opened, ready for toMessage. */
export async function openMessageRow(keys: KeySource, row: MessageRow): Promise<OpenMessageRow> {
  const ref = messageRef(row);
  const [content, suggestions] = await Promise.all([
    openText(keys, ref, "content", row.contentCt, row.content),
    openJson<string[], string[]>(keys, ref, "suggestions", row.suggestionsCt, row.suggestions),
  ]);
  // The check constraint keeps one of the two columns filled.
  return { ...row, content: content ?? "", contentCt: null, suggestions, suggestionsCt: null };
}

export function toSession(row: SessionRow, messageCount: number): ChatSession {
  return {
    id: row.id,
    type: row.type as SessionType,
    title: row.title,
    tags: row.tags,
    messageCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastMessageAt: row.lastMessageAt?.toISOString() ?? null,
    status: row.status,
    pausedAt: row.pausedAt?.toISOString() ?? null,
    endedAt: row.endedAt?.toISOString() ?? null,
    summary: row.summary ?? null,
  };
}

/** Why a session takes no new message: paused until resumed, or ended for good. */
export function closedSession(status: SessionRow["status"]): InkwellError {
  return status === "paused"
    ? new InkwellError(
        "CONFLICT",
        "This session is paused; resume it (POST /v1/sessions/{id}/resume) to send messages.",
      )
    : new InkwellError("CONFLICT", "This session has ended; start a new session to keep talking.");
}

export function toMessage(row: OpenMessageRow): ChatMessage {
  return {
    id: row.id,
    sessionId: row.sessionId,
    role: row.role,
    kind: row.kind,
    content: row.content,
    status: row.status,
    citations: row.citations,
    safety: row.safety as ChatMessage["safety"],
    generated: row.generated,
    model: row.model,
    suggestions: row.suggestions,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function sessionRow(db: Database, userId: string, id: string): Promise<SessionRow> {
  if (!isUuid(id)) throw notFound();
  const [row] = await db
    .select()
    .from(chatSessions)
    .where(and(eq(chatSessions.id, id), eq(chatSessions.userId, userId)))
    .limit(1);
  if (!row) throw notFound();
  return row;
}

export async function messageCount(db: Database, sessionId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(chatMessages)
    .where(eq(chatMessages.sessionId, sessionId));
  return row?.n ?? 0;
}

export async function getSession(
  db: Database,
  keys: KeySource,
  userId: string,
  id: string,
): Promise<ChatSession> {
  const row = await sessionRow(db, userId, id);
  return toSession(await openSessionRow(keys, row), await messageCount(db, row.id));
}

/**
 * Starts a session; with `greeting`, its first message is the assistant's greeting (chat-greeting.ts),
 * stored in the same transaction, in the lock order: the writer's row, then the new rows.
 */
export async function createSession(
  db: Database,
  keys: KeySource,
  userId: string,
  input: { type: SessionType; title?: string | undefined; greeting?: boolean | undefined },
): Promise<CreatedSession> {
  const greeting = input.greeting
    ? composeGreeting(input.type, await greetingGrounds(db, keys, userId))
    : undefined;
  // Sealed before the transaction: creating the writer's key on first use is its own write.
  const sessionId = uuidv7();
  const messageId = uuidv7();
  const title = await sealSessionFields(keys, { userId, id: sessionId }, { title: input.title ?? null });
  const greetingText = greeting
    ? await sealMessageFields(keys, { userId, id: messageId }, { content: greeting.content })
    : undefined;
  return await db.transaction(async (tx) => {
    if (!(await lockWriter(tx, userId))) throw new InkwellError("NOT_FOUND", "No such account.");
    const now = new Date();
    const [row] = await tx
      .insert(chatSessions)
      .values({
        id: sessionId,
        userId,
        type: input.type,
        ...title,
        titleSetByUser: input.title !== undefined,
        createdAt: now,
        updatedAt: now,
        lastMessageAt: greeting ? now : null,
      })
      .returning();
    if (!row) throw new InkwellError("INTERNAL", "The session was not stored.");
    const session = { ...row, title: input.title ?? null, titleCt: null };
    if (!greeting || !greetingText) return { ...toSession(session, 0), greeting: null };
    const [message] = await tx
      .insert(chatMessages)
      .values({
        id: messageId,
        sessionId: row.id,
        userId,
        role: "assistant",
        kind: "greeting",
        ...greetingText,
        safety: greeting.safety,
        generated: false,
        model: null,
        createdAt: now,
      })
      .returning();
    if (!message) throw new InkwellError("INTERNAL", "The greeting was not stored.");
    return { ...toSession(session, 1), greeting: toMessage({ ...message, content: greeting.content }) };
  });
}

export async function updateSession(
  db: Database,
  keys: KeySource,
  userId: string,
  id: string,
  patch: { title?: string | undefined; tags?: string[] | undefined },
): Promise<ChatSession> {
  await sessionRow(db, userId, id);
  const title =
    patch.title !== undefined
      ? { ...(await sealSessionFields(keys, { userId, id }, { title: patch.title })), titleSetByUser: true }
      : {};
  const tags =
    patch.tags !== undefined
      ? await sealSessionFields(
          keys,
          { userId, id },
          { tags: [...new Set(patch.tags.map((t) => t.toLowerCase()))] },
        )
      : {};
  const [row] = await db
    .update(chatSessions)
    .set({
      ...title,
      ...tags,
      updatedAt: new Date(),
    })
    .where(and(eq(chatSessions.id, id), eq(chatSessions.userId, userId)))
    .returning();
  if (!row) throw notFound();
  return toSession(await openSessionRow(keys, row), await messageCount(db, id));
}

/** Deleting a session deletes its messages (cascade). */
export async function deleteSession(db: Database, userId: string, id: string): Promise<void> {
  if (!isUuid(id)) throw notFound();
  const deleted = await db
    .delete(chatSessions)
    .where(and(eq(chatSessions.id, id), eq(chatSessions.userId, userId)))
    .returning({ id: chatSessions.id });
  if (deleted.length === 0) throw notFound();
}

export async function listSessions(
  db: Database,
  keys: KeySource,
  userId: string,
  limit: number,
  after?: Position,
): Promise<{ items: ChatSession[]; last: Position | null }> {
  const rows = await db
    .select({
      session: chatSessions, // Spelled out: inside a subquery drizzle would leave "id" unqualified, and it would bind to the message.
      n: sql<number>`(select count(*)::int from chat_messages m where m.session_id = "chat_sessions"."id")`,
    })
    .from(chatSessions)
    .where(
      and(
        eq(chatSessions.userId, userId),
        after
          ? sql`(${chatSessions.updatedAt}, ${chatSessions.id}) < (${after.at}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(chatSessions.updatedAt), desc(chatSessions.id))
    .limit(limit + 1);
  const page = await Promise.all(
    rows.slice(0, limit).map(async (r) => toSession(await openSessionRow(keys, r.session), r.n)),
  );
  const lastItem = page.at(-1);
  return {
    items: page,
    last: rows.length > limit && lastItem ? { at: lastItem.updatedAt, id: lastItem.id } : null,
  };
}

export async function listMessages(
  db: Database,
  keys: KeySource,
  userId: string,
  sessionId: string,
  limit: number,
  after?: Position,
): Promise<{ items: ChatMessage[]; last: Position | null }> {
  await sessionRow(db, userId, sessionId);
  const rows = await db
    .select()
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.sessionId, sessionId),
        after
          ? sql`(${chatMessages.createdAt}, ${chatMessages.id}) > (${after.at}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.id))
    .limit(limit + 1);
  const page = await Promise.all(
    rows.slice(0, limit).map(async (r) => toMessage(await openMessageRow(keys, r))),
  );
  const lastItem = page.at(-1);
  return {
    items: page,
    last: rows.length > limit && lastItem ? { at: lastItem.createdAt, id: lastItem.id } : null,
  };
}

export interface ContextEntry {
  id: string;
  title: string | null;
  content: string;
  occurredAt: string;
}

export interface KnowledgePassage {
  id: string;
  title: string;
  text: string;
  techniques: string[];
}

export interface ReplyContext {
  session: SessionRow;
  userMessage: ChatMessage;
  safety: SafetyResult;
  crisis: boolean;
  entries: ContextEntry[];
  knowledge: KnowledgePassage[];
  /** The person's detected thinking patterns, for the session types that look at them. */
  patterns: ThinkingPatterns;
  history: { role: "user" | "assistant"; content: string }[];
  system: string;
}

/**
 * Ranked ids of the writer's entries for a message, from the search route's own hybrid search; null when
 * no meaning-based search was possible (no node to embed the message).
 */
export type FindEntries = (text: string, limit: number) => Promise<string[] | null>;

/**
 * The entries a reply is grounded in: hybrid search first, as `GET /v1/search?mode=hybrid` ranks them, so a
 * paraphrased message finds the entry it means; without a node, any of the message's meaningful words,
 * ranked (a chat message is a sentence, not a search query, so the words are ORed).
 */
async function relevantEntries(
  db: Database,
  userId: string,
  text: string,
  limit: number,
  findEntries: FindEntries,
): Promise<ContextEntry[]> {
  if (limit === 0) return [];
  const ids = await findEntries(text, limit).catch(() => null);
  if (ids && ids.length > 0) {
    const found = await db
      .select({
        id: entries.id,
        title: entries.title,
        content: entries.content,
        occurredAt: entries.occurredAt,
      })
      .from(entries)
      .where(
        and(
          eq(entries.userId, userId),
          sql`${entries.deletedAt} is null`,
          inArray(entries.id, ids.slice(0, limit)),
        ),
      );
    const byId = new Map(found.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row
        ? [{ ...row, content: row.content.slice(0, 1200), occurredAt: row.occurredAt.toISOString() }]
        : [];
    });
  }
  const query = anyWordQuery(text);
  const rows = await db
    .select({
      id: entries.id,
      title: entries.title,
      content: entries.content,
      occurredAt: entries.occurredAt,
    })
    .from(entries)
    .where(
      and(eq(entries.userId, userId), sql`${entries.deletedAt} is null`, sql`${entries.search} @@ ${query}`),
    )
    .orderBy(sql`ts_rank_cd(${entries.search}, ${query}) desc`, desc(entries.occurredAt))
    .limit(limit);
  return rows.map((r) => ({
    ...r,
    content: r.content.slice(0, 1200),
    occurredAt: r.occurredAt.toISOString(),
  }));
}

/** ~4 characters a token: enough to keep a prompt inside a small model's window. */
const HISTORY_BUDGET_CHARS = 6_000;

type NewMessage = Omit<
  typeof chatMessages.$inferInsert,
  "id" | "sessionId" | "userId" | "createdAt" | "content" | "contentCt" | "suggestions" | "suggestionsCt"
> & { content: string; suggestions?: string[] };

/**
 * Stores one message and marks its session active, in one transaction and in the lock order
 * (writer-locks.ts): the writer's row, then the session, then the new message. A session deleted while
 * the reply was written, or an account deleted meanwhile, is answered 404.
 */
async function storeMessage(
  db: Database,
  keys: KeySource,
  userId: string,
  sessionId: string,
  message: NewMessage,
): Promise<OpenMessageRow> {
  const id = uuidv7();
  const { content, suggestions, ...rest } = message;
  // Sealed before the transaction: creating the writer's key on first use is its own write.
  const sealed = await sealMessageFields(keys, { userId, id }, { content, suggestions });
  const row = await db.transaction(async (tx) => {
    if (!(await lockWriter(tx, userId))) throw notFound();
    const now = new Date();
    // The writer's messages only into an active session (paused or ended meanwhile: 409); a reply already
    // under way is still stored, so the conversation keeps its answer.
    const [session] = await tx
      .update(chatSessions)
      .set({ lastMessageAt: now, updatedAt: now })
      .where(
        and(
          eq(chatSessions.id, sessionId),
          eq(chatSessions.userId, userId),
          message.role === "user" ? eq(chatSessions.status, "active") : undefined,
        ),
      )
      .returning({ id: chatSessions.id });
    if (!session) {
      const [closed] = await tx
        .select({ status: chatSessions.status })
        .from(chatSessions)
        .where(and(eq(chatSessions.id, sessionId), eq(chatSessions.userId, userId)));
      throw closed ? closedSession(closed.status) : notFound();
    }
    const [row] = await tx
      .insert(chatMessages)
      .values({ ...rest, ...sealed, id, sessionId, userId, createdAt: now })
      .returning();
    if (!row) throw new InkwellError("INTERNAL", "The message was not stored.");
    return row;
  });
  return { ...row, content, contentCt: null, suggestions: suggestions ?? [], suggestionsCt: null };
}

function escapeData(text: string): string {
  return text.replaceAll("<", "‹").replaceAll(">", "›");
}

/**
 * Stores the person's message first (it is never lost, whatever happens to generation), checks it for
 * risk, and gathers what the answer is grounded in: recent turns within a budget, the most relevant
 * entries and knowledge passages, quoted as data.
 */
export async function prepareReply(
  db: Database,
  keys: KeySource,
  userId: string,
  sessionId: string,
  content: string,
  knowledgeFor: (text: string, limit: number) => Promise<KnowledgePassage[]>,
  /** A node's rules-plus-meaning assessment; null when no node answered in time (the rules then decide alone). */
  assessOnNode: (text: string) => Promise<SafetyResult | null> = async () => null,
  /** Hybrid search over the writer's entries; without it (or without a node) the message's words are ORed. */
  findEntries: FindEntries = async () => null,
): Promise<ReplyContext> {
  if (content.length > MESSAGE_MAX_CHARS) {
    throw new InkwellError("PAYLOAD_TOO_LARGE", `A message is limited to ${MESSAGE_MAX_CHARS} characters.`, {
      errors: [{ path: "content", message: `longer than ${MESSAGE_MAX_CHARS} characters` }],
    });
  }
  // The node reads the message while the session is looked up; the edge's rules stand if it cannot.
  const nodeSafety = assessOnNode(content).catch(() => null);
  const session = await sessionRow(db, userId, sessionId);
  if (session.status !== "active") throw closedSession(session.status);
  const safety = mergeSafety(assessSafety(content), await nodeSafety);
  const crisis = safety.level === "high" || safety.level === "critical";
  const stored = await storeMessage(db, keys, userId, sessionId, {
    role: "user",
    content,
    safety: { level: safety.level },
    generated: false,
  });

  const info = SESSION_TYPES[session.type as SessionType];
  const noPatterns: ThinkingPatterns = { entriesLookedAt: 0, patterns: [] };
  const [entryHits, knowledge, patterns, recent] = await Promise.all([
    crisis ? Promise.resolve([]) : relevantEntries(db, userId, content, info.emphasis.entries, findEntries),
    crisis ? Promise.resolve([]) : knowledgeFor(content, info.emphasis.knowledge).catch(() => []),
    crisis || !info.emphasis.patterns
      ? Promise.resolve(noPatterns)
      : recentThinkingPatterns(db, keys, userId),
    db
      .select()
      .from(chatMessages)
      .where(and(eq(chatMessages.sessionId, sessionId), sql`${chatMessages.id} <> ${stored.id}`))
      .orderBy(desc(chatMessages.createdAt), desc(chatMessages.id))
      .limit(20)
      .then((rows) => Promise.all(rows.map((row) => openMessageRow(keys, row)))),
  ]);
  const history: ReplyContext["history"] = [];
  let used = 0;
  for (const turn of recent) {
    used += turn.content.length;
    if (used > HISTORY_BUDGET_CHARS) break;
    history.unshift({ role: turn.role, content: turn.content });
  }

  const blocks: string[] = [crisis ? CRISIS_PROMPT : info.systemPrompt];
  if (entryHits.length > 0) {
    blocks.push(
      `<journal>\n${entryHits
        .map(
          (e) =>
            `<entry id="${e.id}" date="${e.occurredAt.slice(0, 10)}">${escapeData(`${e.title ? `${e.title}: ` : ""}${e.content}`)}</entry>`,
        )
        .join("\n")}\n</journal>`,
    );
  }
  const patternBlock = patternsBlock(patterns, escapeData);
  if (patternBlock) blocks.push(patternBlock);
  if (knowledge.length > 0) {
    blocks.push(
      `<knowledge>\n${knowledge.map((k) => `<passage id="${k.id}" title="${escapeData(k.title)}">${escapeData(k.text)}</passage>`).join("\n")}\n</knowledge>`,
    );
  }
  return {
    session,
    userMessage: toMessage(stored),
    safety,
    crisis,
    entries: entryHits,
    knowledge,
    patterns,
    history,
    system: blocks.join("\n\n"),
  };
}

/** Without any language model: an honest, clearly labelled reply made of what was retrieved. */
export function fallbackReply(context: ReplyContext): string {
  if (context.crisis) {
    return "It sounds like you are going through something really hard right now, and you deserve support. Please reach out to one of the crisis lines listed here, or to emergency services if you are in danger. Are you safe right now?";
  }
  const lines = [
    "(No language model is available right now, so here is what I found in your journal and our notes.)",
  ];
  for (const e of context.entries.slice(0, 3)) {
    lines.push(
      `• ${e.occurredAt.slice(0, 10)}${e.title ? ` — ${e.title}` : ""}: “${e.content.slice(0, 160)}${e.content.length > 160 ? "…" : ""}” [entry:${e.id}]`,
    );
  }
  for (const p of context.patterns.patterns.slice(0, 3)) {
    const example = p.evidence[0];
    lines.push(
      `• A thinking pattern that keeps showing up: ${patternName(p.label)} (in ${p.entryCount} of your recent entries)${example ? `, e.g. “${example.text}” [entry:${example.entryId}]` : ""}`,
    );
  }
  for (const k of context.knowledge.slice(0, 2)) {
    lines.push(
      `• ${k.title}${k.techniques.length ? ` — try: ${k.techniques.slice(0, 2).join(", ")}` : ""} [kb:${k.id}]`,
    );
  }
  if (lines.length === 1)
    lines.push(
      "I could not find entries related to this yet. Writing about it may help you see it more clearly.",
    );
  return lines.join("\n");
}

/** Crisis resources are attached from `moderate` up, and always in crisis mode, whatever the model said. */
export function replySafety(context: ReplyContext): ChatMessage["safety"] {
  if (context.crisis)
    return { level: context.safety.level, resources: [...(context.safety.resources ?? CRISIS_RESOURCES)] };
  return context.safety.resources?.length
    ? { level: context.safety.level, resources: context.safety.resources }
    : { level: context.safety.level };
}

export async function storeAssistantMessage(
  db: Database,
  keys: KeySource,
  userId: string,
  context: ReplyContext,
  reply: { content: string; status: ChatMessage["status"]; generated: boolean; model: string | null },
): Promise<ChatMessage> {
  const citations: Citation[] = extractCitations(reply.content, {
    entries: new Set([
      ...context.entries.map((e) => e.id),
      ...context.patterns.patterns.flatMap((p) => p.evidence.map((e) => e.entryId)),
    ]),
    knowledge: new Set(context.knowledge.map((k) => k.id)),
  });
  // A reply cut short gets none: the questions would follow a thought that was not finished.
  const suggestions =
    reply.status === "complete"
      ? followUpSuggestions({
          type: context.session.type as SessionType,
          reply: reply.content,
          userMessage: context.userMessage.content,
          generated: reply.generated,
          crisis: context.crisis,
          citedEntry: citations.some((c) => c.kind === "entry"),
          citedKnowledge: citations.some((c) => c.kind === "knowledge"),
          usedPatterns: context.patterns.patterns.length > 0,
          seed: context.userMessage.id,
        })
      : [];
  const row = await storeMessage(db, keys, userId, context.session.id, {
    role: "assistant",
    content: reply.content,
    status: reply.status,
    citations,
    safety: replySafety(context),
    generated: reply.generated,
    model: reply.model,
    suggestions,
  });
  return toMessage(row);
}
