import type { ChatMessage, ChatSession, SessionType } from "@inkwell/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { chatMessages, chatSessions } from "../db/schema/index.ts";
import { openMessageRow, openSessionRow, toMessage, toSession } from "./chat.ts";
import { SESSION_TYPES } from "./chat-prompts.ts";
import type { ExportFormat, ExportOwner, StreamedExportSection } from "./export.ts";

const SESSION_PAGE = 50;
const MESSAGE_PAGE = 200;

/**
 * A keyset position. The time is Postgres' own text of the timestamp: a JavaScript Date would drop the
 * microseconds, and the row at the edge of a page would come back on the next one.
 */
interface Position {
  at: string;
  id: string;
}

interface Page<T> {
  items: T[];
  last: Position | undefined;
}

/** One page of the writer's sessions, oldest first; keyset on (created_at, id), so nothing is skipped. */
async function sessionPage(
  db: Database,
  keys: KeySource,
  userId: string,
  after: Position | undefined,
): Promise<Page<ChatSession>> {
  const rows = await db
    .select({
      session: chatSessions,
      n: sql<number>`(select count(*)::int from chat_messages m where m.session_id = "chat_sessions"."id")`,
      at: sql<string>`${chatSessions.createdAt}::text`,
    })
    .from(chatSessions)
    .where(
      and(
        eq(chatSessions.userId, userId),
        after
          ? sql`(${chatSessions.createdAt}, ${chatSessions.id}) > (${after.at}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(asc(chatSessions.createdAt), asc(chatSessions.id))
    .limit(SESSION_PAGE);
  const last = rows.at(-1);
  return {
    items: await Promise.all(rows.map(async (r) => toSession(await openSessionRow(keys, r.session), r.n))),
    last: rows.length === SESSION_PAGE && last ? { at: last.at, id: last.session.id } : undefined,
  };
}

/** One page of a session's messages in the order they were written; the owner is named in the query too. */
async function messagePage(
  db: Database,
  keys: KeySource,
  userId: string,
  sessionId: string,
  after: Position | undefined,
): Promise<Page<ChatMessage>> {
  const rows = await db
    .select({ message: chatMessages, at: sql<string>`${chatMessages.createdAt}::text` })
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.sessionId, sessionId),
        eq(chatMessages.userId, userId),
        after
          ? sql`(${chatMessages.createdAt}, ${chatMessages.id}) > (${after.at}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.id))
    .limit(MESSAGE_PAGE);
  const last = rows.at(-1);
  return {
    items: await Promise.all(rows.map(async (r) => toMessage(await openMessageRow(keys, r.message)))),
    last: rows.length === MESSAGE_PAGE && last ? { at: last.at, id: last.message.id } : undefined,
  };
}

function localTime(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  })
    .format(new Date(iso))
    .replace(",", "");
}

function markdownSession(session: ChatSession, timezone: string): string {
  const kind = SESSION_TYPES[session.type as SessionType]?.name ?? session.type;
  const facts = [
    `started ${localTime(session.createdAt, timezone)}`,
    `${session.messageCount} ${session.messageCount === 1 ? "message" : "messages"}`,
  ];
  if (session.tags.length > 0) facts.push(`tags: ${session.tags.join(", ")}`);
  if (session.status === "paused") facts.push("paused");
  if (session.endedAt) facts.push(`ended ${localTime(session.endedAt, timezone)}`);
  const heading = `## ${kind}${session.title ? ` — ${session.title}` : ""}\n\n*${facts.join(" · ")}*\n\n`;
  if (!session.summary) return heading;
  const how = session.summary.generated ? "" : " (from your own topics, without a language model)";
  return `${heading}**Summary${how}:** ${session.summary.text}\n\n`;
}

function markdownMessage(message: ChatMessage, timezone: string): string {
  const who = message.role === "user" ? "You" : "Inkwell";
  const notes: string[] = [];
  if (message.kind === "greeting") notes.push("greeting");
  else if (message.role === "assistant" && !message.generated)
    notes.push("assembled without a language model");
  if (message.status !== "complete") notes.push(message.status);
  const cited = message.citations.map((c) => `${c.kind} ${c.id}`);
  const lines = [
    `**${who}** · ${localTime(message.createdAt, timezone)}${notes.length > 0 ? ` · *${notes.join(", ")}*` : ""}`,
    "",
    message.content,
    "",
  ];
  if (cited.length > 0) lines.push(`*Cited: ${cited.join(", ")}*`, "");
  return `${lines.join("\n")}\n`;
}

/**
 * Chat sessions with their messages, written a page at a time: a session's messages are read in pages
 * while the response is being sent, so a long history never sits in memory at once. JSON: an array of
 * sessions, each with its `messages`; Markdown: one section per session, the conversation in order.
 */
async function* sessionChunks(
  db: Database,
  owner: ExportOwner,
  format: ExportFormat,
  keys: KeySource,
): AsyncGenerator<string> {
  let afterSession: Position | undefined;
  let firstSession = true;
  if (format === "json") yield "[";
  do {
    const page = await sessionPage(db, keys, owner.id, afterSession);
    for (const session of page.items) {
      if (format === "json") {
        yield `${firstSession ? "" : ","}${JSON.stringify(session).slice(0, -1)},"messages":[`;
      } else {
        yield `${firstSession ? "\n# Chat sessions\n\n" : ""}${markdownSession(session, owner.timezone)}`;
      }
      firstSession = false;
      let afterMessage: Position | undefined;
      let firstMessage = true;
      do {
        const { items: messages, last } = await messagePage(db, keys, owner.id, session.id, afterMessage);
        if (messages.length > 0) {
          yield format === "json"
            ? `${firstMessage ? "" : ","}${messages.map((m) => JSON.stringify(m)).join(",")}`
            : messages.map((m) => markdownMessage(m, owner.timezone)).join("");
          firstMessage = false;
        }
        afterMessage = last;
      } while (afterMessage);
      if (format === "json") yield "]}";
    }
    afterSession = page.last;
  } while (afterSession);
  if (format === "json") yield "]";
}

export const sessionsExportSection: StreamedExportSection = {
  name: "sessions",
  stream: sessionChunks,
};
