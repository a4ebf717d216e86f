import {
  type ChatSession,
  chatMessageSchema,
  chatSessionSchema,
  type Reflection,
  uuidv7,
} from "@inkwell/shared";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FieldDecryptError } from "../../src/crypto/field-cipher.ts";
import { chatMessages, chatSessions, reflections } from "../../src/db/schema/index.ts";
import { openMessageRow, openSessionRow } from "../../src/services/chat.ts";
import { openReflectionRow } from "../../src/services/reflections.ts";
import { json } from "../entries/helpers.ts";
import { call, callWithEnv, registerUser, type TestUser, testDb } from "../harness.ts";
import { getJson, seedEntries } from "../insights/helpers.ts";
import { readEvents, sessionMessages } from "../sessions/helpers.ts";
import { keyring } from "./helpers.ts";

/** Lower case: reflections and summaries lower-case the words they take from the writer. */
const MARKER = "quillwobbet";
const CIPHERTEXT = /^ik1\.\d+\.[A-Za-z0-9_-]+$/;

/** The user's rows of the chat and reflection tables as Postgres prints them: every column, as text. */
async function dumpOf(userId: string): Promise<string> {
  const rows = await testDb().execute<{ row: string }>(sql`
    select t::text as row from chat_sessions t where t.user_id = ${userId}::uuid
    union all select t::text from chat_messages t where t.user_id = ${userId}::uuid
    union all select t::text from reflections t where t.user_id = ${userId}::uuid`);
  return rows.map((r) => r.row).join("\n");
}

async function send(user: TestUser, sessionId: string, content: string, stream = false): Promise<Response> {
  // Waits for the reply's background work (the session title request).
  return await callWithEnv({}, `/v1/sessions/${sessionId}/messages`, {
    token: user.accessToken,
    body: { content },
    ...(stream ? { headers: { Accept: "text/event-stream" } } : {}),
  });
}

/** Chats, ends the chat with its summary and asks for a reflection, each holding the marker. */
async function workload(user: TestUser): Promise<{ session: ChatSession; reflection: Reflection }> {
  await seedEntries(user.id, [
    { occurredAt: "2025-03-04T08:00:00Z", sentiment: 0.4, keywords: [MARKER, "harbour"] },
    { occurredAt: "2025-03-05T08:00:00Z", sentiment: -0.2, keywords: [MARKER] },
  ]);
  const created = chatSessionSchema.parse(
    await json(
      await call("/v1/sessions", {
        token: user.accessToken,
        body: { type: "reflection_buddy", title: `Talk about the ${MARKER}`, greeting: true },
      }),
      201,
    ),
  );
  await json(await send(user, created.id, `The ${MARKER} by the harbour kept me awake.`), 200);
  const streamed = await readEvents(await send(user, created.id, `More about the ${MARKER} tonight.`, true));
  expect(streamed.at(-1)?.event).toBe("done");
  const renamed = await call(`/v1/sessions/${created.id}`, {
    method: "PATCH",
    token: user.accessToken,
    body: { title: `Harbour ${MARKER} talk`, tags: [MARKER, "Harbour"] },
  });
  expect(renamed.status).toBe(200);
  const session = chatSessionSchema.parse(
    await json(
      await call(`/v1/sessions/${created.id}/end`, { method: "POST", token: user.accessToken }),
      200,
    ),
  );
  const accepted = await json<{ reflectionId: string }>(
    await callWithEnv({}, "/v1/insights/reflections", {
      token: user.accessToken,
      body: { period: "week", at: "2025-03-05T12:00:00Z" },
    }),
    202,
  );
  const reflection = await getJson<Reflection>(`/v1/insights/reflections/${accepted.reflectionId}`, user);
  return { session, reflection };
}

describe("chat sessions, messages and reflections at rest", () => {
  it("hold no journal text in Postgres, while the API and the export still show it", async () => {
    const user = await registerUser();
    const { session, reflection } = await workload(user);

    // What the writer sees: their words, in clear.
    expect(session.title).toBe(`Harbour ${MARKER} talk`);
    expect(session.tags).toEqual([MARKER, "harbour"]);
    expect(session.summary?.topics).toContain(MARKER);
    expect(session.summary?.text).toContain(MARKER);
    const messages = await sessionMessages(user.accessToken, session.id);
    expect(messages.map((m) => [m.role, m.kind])).toEqual([
      ["assistant", "greeting"],
      ["user", "message"],
      ["assistant", "message"],
      ["user", "message"],
      ["assistant", "message"],
    ]);
    expect(messages[1]?.content).toBe(`The ${MARKER} by the harbour kept me awake.`);
    expect(messages[3]?.content).toBe(`More about the ${MARKER} tonight.`);
    expect(messages[4]?.content.length).toBeGreaterThan(0);
    expect(messages.some((m) => m.suggestions.length > 0)).toBe(true);
    const listed = await getJson<{ items: ChatSession[] }>("/v1/sessions", user);
    expect(listed.items.find((s) => s.id === session.id)).toEqual(session);
    expect(reflection).toMatchObject({ status: "done", generated: false });
    expect(reflection.text).toContain(MARKER);
    expect(reflection.themes?.keywords.map((k) => k.label)).toContain(MARKER);
    const listedReflections = await getJson<{ items: Reflection[] }>("/v1/insights/reflections", user);
    expect(listedReflections.items).toEqual([reflection]);

    // The export carries it all, in JSON and in Markdown.
    const exported = await json<{
      sessions: (ChatSession & { messages: unknown[] })[];
      reflections: Reflection[];
    }>(await call("/v1/me/export", { token: user.accessToken }), 200);
    const exportedSession = exported.sessions.find((s) => s.id === session.id);
    expect(exportedSession).toMatchObject({ title: session.title, summary: session.summary });
    expect(exportedSession?.messages.map((m) => chatMessageSchema.parse(m))).toEqual(messages);
    expect(exported.reflections).toEqual([reflection]);
    const markdown = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(markdown).toContain(`— Harbour ${MARKER} talk`);
    expect(markdown).toContain(`The ${MARKER} by the harbour kept me awake.`);
    expect(markdown).toContain(session.summary?.text ?? "no summary");
    expect(markdown).toContain(reflection.text ?? "no text");

    // What Postgres holds: ciphertext only.
    const dump = await dumpOf(user.id);
    expect(dump.split("\n")).toHaveLength(1 + messages.length + 1);
    expect(dump.toLowerCase()).not.toContain(MARKER);
    expect(dump.toLowerCase()).not.toContain("harbour");
    const [stored] = await testDb().select().from(chatSessions).where(eq(chatSessions.id, session.id));
    expect(stored).toMatchObject({ title: null, summary: null, tags: [] });
    expect(stored?.tagsCt).toMatch(CIPHERTEXT);
    expect(stored?.titleCt).toMatch(CIPHERTEXT);
    expect(stored?.summaryCt).toMatch(CIPHERTEXT);
    const storedMessages = await testDb()
      .select()
      .from(chatMessages)
      .where(eq(chatMessages.sessionId, session.id));
    for (const row of storedMessages) {
      expect(row.content).toBeNull();
      expect(row.contentCt).toMatch(CIPHERTEXT);
      expect(row.suggestions).toEqual([]);
    }
    expect(storedMessages.some((row) => row.suggestionsCt !== null)).toBe(true);
    const [storedReflection] = await testDb()
      .select()
      .from(reflections)
      .where(eq(reflections.id, reflection.id));
    expect(storedReflection).toMatchObject({ text: null, themes: null });
    expect(storedReflection?.textCt).toMatch(CIPHERTEXT);
    expect(storedReflection?.themesCt).toMatch(CIPHERTEXT);
  });

  it("finds a message stored in plain text (the dump can fail), and still shows such a row", async () => {
    const user = await registerUser();
    const session = chatSessionSchema.parse(
      await json(await call("/v1/sessions", { token: user.accessToken, body: { type: "free_chat" } }), 201),
    );
    expect((await dumpOf(user.id)).toLowerCase()).not.toContain(MARKER);
    // A row as the edge wrote it before encryption (the migration has not reached it yet).
    await testDb()
      .insert(chatMessages)
      .values({
        id: uuidv7(),
        sessionId: session.id,
        userId: user.id,
        role: "user",
        content: `old ${MARKER}`,
      });
    await testDb()
      .update(chatSessions)
      .set({ title: `old ${MARKER} title`, tags: [MARKER] })
      .where(eq(chatSessions.id, session.id));
    expect((await dumpOf(user.id)).toLowerCase()).toContain(MARKER);
    expect((await sessionMessages(user.accessToken, session.id)).map((m) => m.content)).toEqual([
      `old ${MARKER}`,
    ]);
    expect(chatSessionSchema.parse(await getJson(`/v1/sessions/${session.id}`, user))).toMatchObject({
      title: `old ${MARKER} title`,
      tags: [MARKER],
    });
  });

  it("a ciphertext moved to another row, column or user does not open", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const { session, reflection } = await workload(user);
    const { session: othersSession } = await workload(other);
    const rowsOf = async (sessionId: string) =>
      await testDb()
        .select()
        .from(chatMessages)
        .where(eq(chatMessages.sessionId, sessionId))
        .orderBy(chatMessages.createdAt, chatMessages.id);
    const [greeting, first] = await rowsOf(session.id);
    const [othersGreeting] = await rowsOf(othersSession.id);
    const [sessionRow] = await testDb().select().from(chatSessions).where(eq(chatSessions.id, session.id));
    const [reflectionRow] = await testDb()
      .select()
      .from(reflections)
      .where(eq(reflections.id, reflection.id));
    if (!greeting || !first || !othersGreeting || !sessionRow || !reflectionRow)
      throw new Error("rows missing");
    const keys = keyring();

    // In place, each opens.
    expect((await openMessageRow(keys, first)).content).toContain(MARKER);
    // Another message of the same writer and session.
    await expect(openMessageRow(keys, { ...greeting, contentCt: first.contentCt })).rejects.toBeInstanceOf(
      FieldDecryptError,
    );
    // Another writer's message.
    await expect(
      openMessageRow(keys, { ...othersGreeting, contentCt: first.contentCt }),
    ).rejects.toBeInstanceOf(FieldDecryptError);
    // Another column of another table, same writer.
    await expect(
      openSessionRow(keys, { ...sessionRow, titleCt: reflectionRow.textCt }),
    ).rejects.toBeInstanceOf(FieldDecryptError);
    await expect(
      openReflectionRow(keys, { ...reflectionRow, textCt: reflectionRow.themesCt }),
    ).rejects.toBeInstanceOf(FieldDecryptError);

    // Moved in the database, the API refuses to show it rather than showing it in the wrong place.
    await testDb()
      .update(chatMessages)
      .set({ contentCt: first.contentCt })
      .where(eq(chatMessages.id, othersGreeting.id));
    const res = await call(`/v1/sessions/${othersSession.id}/messages`, { token: other.accessToken });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain(MARKER);
  });

  it("stores an automatic session title sealed", async () => {
    const user = await registerUser();
    const session = chatSessionSchema.parse(
      await json(await call("/v1/sessions", { token: user.accessToken, body: { type: "free_chat" } }), 201),
    );
    for (const text of [`The ${MARKER} again`, `Why the ${MARKER} matters`, `One more ${MARKER} thought`]) {
      await json(await send(user, session.id, text), 200);
    }
    // No node serves a language model here: the edge titles the session from its keywords.
    const titled = chatSessionSchema.parse(await getJson(`/v1/sessions/${session.id}`, user));
    expect(titled.title?.toLowerCase()).toContain(MARKER);
    // The automatic title's tags are words of the conversation: sealed too.
    expect(titled.tags).toContain(MARKER);
    const [stored] = await testDb().select().from(chatSessions).where(eq(chatSessions.id, session.id));
    expect(stored?.title).toBeNull();
    expect(stored?.titleCt).toMatch(CIPHERTEXT);
    expect(stored?.tags).toEqual([]);
    expect(stored?.tagsCt).toMatch(CIPHERTEXT);
    expect((await dumpOf(user.id)).toLowerCase()).not.toContain(MARKER);
  });
});
