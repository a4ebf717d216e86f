import { type ChatMessage, type ChatSession, type Reflection, uuidv7 } from "@inkwell/shared";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { chatMessages, chatSessions, jobs, reflections } from "../../src/db/schema/index.ts";
import { ENCRYPT_ROWS_JOB, encryptSessionRow, runEncryptRows } from "../../src/services/encrypt-rows.ts";
import { call, registerUser, type TestUser, testDb } from "../harness.ts";
import { getJson } from "../insights/helpers.ts";
import { sessionMessages } from "../sessions/helpers.ts";
import { keyring } from "./helpers.ts";

const MARKER = "brindlequay";

async function dumpOf(userIds: string[]): Promise<string> {
  const ids = sql.join(
    userIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  const rows = await testDb().execute<{ row: string }>(sql`
    select t::text as row from chat_sessions t where t.user_id in (${ids})
    union all select t::text from chat_messages t where t.user_id in (${ids})
    union all select t::text from reflections t where t.user_id in (${ids})`);
  return rows.map((r) => r.row).join("\n");
}

/** Rows as the edge wrote them before encryption: plaintext in every text column. */
async function plaintextHistory(user: TestUser): Promise<{ sessionId: string; reflectionId: string }> {
  const db = testDb();
  const sessionId = uuidv7();
  await db.insert(chatSessions).values({
    id: sessionId,
    userId: user.id,
    type: "reflection_buddy",
    title: `The ${MARKER} talk`,
    tags: [MARKER],
    status: "ended",
    endedAt: new Date(),
    summary: {
      text: `You talked about the ${MARKER}.`,
      topics: [MARKER],
      generated: false,
      model: null,
      createdAt: new Date().toISOString(),
    },
  });
  const at = Date.now() - 60_000;
  for (const [i, content] of [`About the ${MARKER}`, `A reply on the ${MARKER}`, "And one more"].entries()) {
    await db.insert(chatMessages).values({
      id: uuidv7(),
      sessionId,
      userId: user.id,
      role: i % 2 === 0 ? "user" : "assistant",
      content,
      suggestions: i === 1 ? [`What else about the ${MARKER}?`] : [],
      createdAt: new Date(at + i * 1000),
    });
  }
  const reflectionId = uuidv7();
  await db.insert(reflections).values({
    id: reflectionId,
    userId: user.id,
    period: "week",
    periodStart: new Date("2025-02-03T00:00:00Z"),
    periodEnd: new Date("2025-02-10T00:00:00Z"),
    timezone: "UTC",
    status: "done",
    text: `You kept coming back to ${MARKER}.`,
    themes: { keywords: [{ label: MARKER, count: 2 }], emotions: [], topics: [] },
  });
  return { sessionId, reflectionId };
}

async function viewOf(user: TestUser, ids: { sessionId: string; reflectionId: string }) {
  return {
    session: await getJson<ChatSession>(`/v1/sessions/${ids.sessionId}`, user),
    messages: await sessionMessages(user.accessToken, ids.sessionId),
    reflection: await getJson<Reflection>(`/v1/insights/reflections/${ids.reflectionId}`, user),
  };
}

describe("the encrypt-rows job", () => {
  it("seals rows written before encryption in batches from its cursor, and they read as before", async () => {
    const users = [await registerUser(), await registerUser()];
    const userIds = users.map((u) => u.id);
    const subjects: { user: TestUser; ids: { sessionId: string; reflectionId: string } }[] = [];
    for (const user of users) subjects.push({ user, ids: await plaintextHistory(user) });
    const before = await Promise.all(subjects.map(({ user, ids }) => viewOf(user, ids)));
    expect(before[0]?.messages.map((m: ChatMessage) => m.content)).toContain(`About the ${MARKER}`);
    expect((await dumpOf(userIds)).toLowerCase()).toContain(MARKER);

    // Two rows a batch, one batch a run: the job row keeps where each run stopped.
    const first = await runEncryptRows(testDb(), keyring(), { batches: 1, limit: 2, userIds });
    expect(first).toMatchObject({ encrypted: 2, finished: false });
    const [job] = await testDb()
      .select()
      .from(jobs)
      .where(eq(jobs.id, first.jobId ?? ""));
    expect(job).toMatchObject({ kind: ENCRYPT_ROWS_JOB, status: "running", userId: null });
    expect(job?.payload).toMatchObject({ table: "chat_messages", encrypted: 2 });
    expect(typeof job?.payload.after).toBe("string");

    let runs = 1;
    let last = first;
    while (!last.finished && runs < 20) {
      last = await runEncryptRows(testDb(), keyring(), { batches: 1, limit: 2, userIds });
      expect(last.jobId).toBe(first.jobId);
      runs += 1;
    }
    expect(last.finished).toBe(true);
    // 6 messages, 2 sessions, 2 reflections, two at a time.
    expect(runs).toBeGreaterThanOrEqual(5);
    const [done] = await testDb()
      .select()
      .from(jobs)
      .where(eq(jobs.id, first.jobId ?? ""));
    expect(done).toMatchObject({ status: "done", result: { encrypted: 10, skipped: 0 } });

    expect((await dumpOf(userIds)).toLowerCase()).not.toContain(MARKER);
    const after = await Promise.all(subjects.map(({ user, ids }) => viewOf(user, ids)));
    expect(after).toEqual(before);
  });

  it("two runs that start together keep one job row", async () => {
    const users = [await registerUser(), await registerUser()];
    for (const user of users) await plaintextHistory(user);
    const userIds = users.map((u) => u.id);
    const runs = await Promise.all(
      [0, 1, 2].map(() => runEncryptRows(testDb(), keyring(), { batches: 1, limit: 1, userIds })),
    );
    const ids = new Set(runs.map((r) => r.jobId));
    expect(ids.size).toBe(1);
    const running = await testDb()
      .select({ id: jobs.id })
      .from(jobs)
      .where(sql`${jobs.kind} = ${ENCRYPT_ROWS_JOB} and ${jobs.status} = 'running'`);
    expect(running.map((r) => r.id)).toEqual([...ids]);
    let last = runs[0];
    for (let i = 0; i < 30 && !last?.finished; i++) {
      last = await runEncryptRows(testDb(), keyring(), { batches: 1, limit: 5, userIds });
    }
    expect(last?.finished).toBe(true);
  });

  it("leaves a row written meanwhile to that write", async () => {
    const user = await registerUser();
    const { sessionId } = await plaintextHistory(user);
    const [read] = await testDb().select().from(chatSessions).where(eq(chatSessions.id, sessionId));
    if (!read) throw new Error("session missing");
    // The writer renames the session after the job read it.
    const renamed = await call(`/v1/sessions/${sessionId}`, {
      method: "PATCH",
      token: user.accessToken,
      body: { title: "Renamed" },
    });
    expect(renamed.status).toBe(200);
    expect(await encryptSessionRow(testDb(), keyring(), read)).toBe(false);
    expect((await getJson<ChatSession>(`/v1/sessions/${sessionId}`, user)).title).toBe("Renamed");
    // The summary is still plaintext: the next pass seals it, and the new title stays.
    const run = await runEncryptRows(testDb(), keyring(), { batches: 10, limit: 50, userIds: [user.id] });
    expect(run.finished).toBe(true);
    const session = await getJson<ChatSession>(`/v1/sessions/${sessionId}`, user);
    expect(session.title).toBe("Renamed");
    expect(session.summary?.text).toBe(`You talked about the ${MARKER}.`);
    expect((await dumpOf([user.id])).toLowerCase()).not.toContain(MARKER);
  });
});
