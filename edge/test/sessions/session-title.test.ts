import { type ChatSession, chatSessionSchema, type TitleSessionResult, uuidv7 } from "@inkwell/shared";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { chatSessions, jobs } from "../../src/db/schema/index.ts";
import { json } from "../entries/helpers.ts";
import { call, registerAdmin, registerUser, type TestUser, testDb } from "../harness.ts";
import {
  beat,
  CALLBACK,
  deliveredCallback,
  eventually,
  FAILURE,
  heartbeat,
  postSigned,
  registerNode,
  removeTestNodes,
} from "../pipeline/helpers.ts";

afterAll(removeTestNodes);

async function newSession(user: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  return chatSessionSchema.parse(
    await json(
      await call("/v1/sessions", { token: user.accessToken, body: { type: "free_chat", ...body } }),
      201,
    ),
  ).id;
}

async function getSession(user: TestUser, id: string): Promise<ChatSession> {
  return chatSessionSchema.parse(
    await json(await call(`/v1/sessions/${id}`, { token: user.accessToken }), 200),
  );
}

async function say(user: TestUser, id: string, content: string): Promise<void> {
  await json(await call(`/v1/sessions/${id}/messages`, { token: user.accessToken, body: { content } }), 200);
}

/** A `title-session` job a node is working on, as the dispatcher leaves it. */
async function runningTitleJob(user: TestUser, sessionId: string, attempts = 1): Promise<string> {
  const id = uuidv7();
  await testDb().insert(jobs).values({
    id,
    userId: user.id,
    kind: "title-session",
    status: "running",
    attempts,
    payload: { sessionId },
    startedAt: new Date(),
  });
  await testDb().update(chatSessions).set({ titleJobId: id }).where(eq(chatSessions.id, sessionId));
  return id;
}

function answer(
  jobId: string,
  sessionId: string,
  extra: Partial<TitleSessionResult> = {},
): TitleSessionResult {
  return {
    jobId,
    sessionId,
    title: "Holiday plans with my sister",
    tags: ["family", "holidays"],
    source: "llm",
    model: "llama-cpp:test.gguf",
    ...extra,
  };
}

async function deliver(jobId: string, sessionId: string, result: unknown, attempt = 1): Promise<string> {
  const res = await postSigned(
    CALLBACK,
    await deliveredCallback({ answer: result, source: { jobId, attempt, sessionId } }),
  );
  return (await json<{ outcome: string }>(res, 200)).outcome;
}

async function jobRow(id: string) {
  const [row] = await testDb().select().from(jobs).where(eq(jobs.id, id));
  return row;
}

const MESSAGES = [
  "My sister visited and we argued about the holidays again.",
  "Who hosts the holidays is the question. My sister always decides.",
  "I want the holidays to feel calm this year.",
];

describe("session titles without a language model", () => {
  it("names a session from its keywords after the third message, when no node serves a model", async () => {
    const user = await registerUser();
    const id = await newSession(user);
    await say(user, id, MESSAGES[0] ?? "");
    await say(user, id, MESSAGES[1] ?? "");
    expect((await getSession(user, id)).title).toBeNull();
    await say(user, id, MESSAGES[2] ?? "");
    const titled = await eventually(async () => {
      const session = await getSession(user, id);
      return session.title ? session : undefined;
    });
    expect(titled.title).toBe("Holidays, sister, argued");
    expect(titled.tags).toEqual(["holidays", "sister", "argued"]);
    // No job was left waiting for a node that is not there.
    const waiting = await testDb()
      .select()
      .from(jobs)
      .where(and(eq(jobs.userId, user.id), eq(jobs.kind, "title-session"), sql`${jobs.status} <> 'done'`));
    expect(waiting).toEqual([]);
  });

  it("never replaces a title the person gave, at creation or by renaming", async () => {
    const user = await registerUser();
    const named = await newSession(user, { title: "Sunday thoughts" });
    for (const m of MESSAGES) await say(user, named, m);
    const renamed = await newSession(user);
    await json(
      await call(`/v1/sessions/${renamed}`, {
        method: "PATCH",
        token: user.accessToken,
        body: { title: "Mine" },
      }),
      200,
    );
    for (const m of MESSAGES) await say(user, renamed, m);
    expect((await getSession(user, named)).title).toBe("Sunday thoughts");
    expect((await getSession(user, renamed)).title).toBe("Mine");
    expect((await getSession(user, renamed)).tags).toEqual([]);
  });
});

describe("title-session results (QStash callback)", () => {
  it("applies the node's title and tags once; a duplicate delivery changes nothing", async () => {
    const user = await registerUser();
    const id = await newSession(user);
    const jobId = await runningTitleJob(user, id);
    expect(await deliver(jobId, id, answer(jobId, id))).toBe("applied");
    const session = await getSession(user, id);
    expect(session).toMatchObject({ title: "Holiday plans with my sister", tags: ["family", "holidays"] });
    expect(await jobRow(jobId)).toMatchObject({ status: "done", result: { source: "llm", applied: true } });
    const job = await json<{ status: string; kind: string }>(
      await call(`/v1/jobs/${jobId}`, { token: user.accessToken }),
      200,
    );
    expect(job).toMatchObject({ status: "done", kind: "title-session" });

    expect(await deliver(jobId, id, answer(jobId, id, { title: "Something else" }))).toBe("duplicate");
    expect((await getSession(user, id)).title).toBe("Holiday plans with my sister");
  });

  it("keeps a title the person set while the job ran, and the tags they set", async () => {
    const user = await registerUser();
    const id = await newSession(user);
    const jobId = await runningTitleJob(user, id);
    await json(
      await call(`/v1/sessions/${id}`, {
        method: "PATCH",
        token: user.accessToken,
        body: { title: "My own name", tags: ["mine"] },
      }),
      200,
    );
    expect(await deliver(jobId, id, answer(jobId, id))).toBe("discarded-stale");
    expect(await getSession(user, id)).toMatchObject({ title: "My own name", tags: ["mine"] });
    expect(await jobRow(jobId)).toMatchObject({
      status: "done",
      error: "Result discarded: the session was named by its owner.",
    });
  });

  it("drops the result for a session deleted meanwhile", async () => {
    const user = await registerUser();
    const id = await newSession(user);
    const jobId = await runningTitleJob(user, id);
    expect((await call(`/v1/sessions/${id}`, { method: "DELETE", token: user.accessToken })).status).toBe(
      204,
    );
    expect(await deliver(jobId, id, answer(jobId, id))).toBe("discarded-stale");
    expect(await jobRow(jobId)).toMatchObject({
      status: "done",
      error: "Result discarded: the session was deleted.",
    });
    expect(await testDb().select().from(chatSessions).where(eq(chatSessions.id, id))).toEqual([]);
  });

  it("never writes another person's session, whatever the answer names; their job is not visible", async () => {
    const owner = await registerUser();
    const other = await registerUser();
    const mine = await newSession(owner);
    const theirs = await newSession(other);
    await say(owner, mine, MESSAGES[0] ?? "");
    const jobId = await runningTitleJob(owner, mine);
    // An answer about a session the job is not about is unreadable: the attempt fails, and with no model
    // node to try next, the job's own session is named from its keywords.
    expect(await deliver(jobId, theirs, answer(jobId, theirs))).toBe("requeued");
    expect((await getSession(other, theirs)).title).toBeNull();
    const named = await eventually(async () => (await getSession(owner, mine)).title ?? undefined);
    expect(named).toBe("Argued, holidays, sister");
    await json(await call(`/v1/jobs/${jobId}`, { token: other.accessToken }), 404);
    // Unsigned or forged callbacks write nothing.
    const body = await deliveredCallback({ answer: answer(jobId, mine), source: { jobId, attempt: 1 } });
    expect((await postSigned(CALLBACK, body, { key: "sig_not-the-signing-key-0123456789" })).status).toBe(
      401,
    );
    expect((await postSigned(CALLBACK, body, { signature: null })).status).toBe(401);
  });

  it("names the session from keywords when the last attempt fails", async () => {
    const user = await registerUser();
    const id = await newSession(user);
    for (const m of MESSAGES.slice(0, 1)) await say(user, id, m);
    const jobId = await runningTitleJob(user, id, 3);
    const res = await postSigned(
      FAILURE,
      await deliveredCallback({ status: 500, source: { jobId, attempt: 3, sessionId: id } }),
    );
    expect((await json<{ outcome: string }>(res, 200)).outcome).toBe("failed");
    expect((await getSession(user, id)).title).toBe("Argued, holidays, sister");
    expect((await jobRow(jobId))?.status).toBe("failed");
  });
});

describe("session titles with a language model node", () => {
  it("queues one title-session job carrying the session id, not its text", async () => {
    const admin = await registerAdmin();
    const node = await registerNode(admin);
    await beat(node.token, heartbeat({ models: [{ id: "tiny.gguf", task: "llm" }] }));
    try {
      const user = await registerUser();
      const id = await newSession(user);
      for (const m of MESSAGES) await say(user, id, m);
      await say(user, id, "And a fourth message.");
      const queued = await eventually(async () => {
        const rows = await testDb()
          .select()
          .from(jobs)
          .where(and(eq(jobs.userId, user.id), eq(jobs.kind, "title-session")));
        return rows.length > 0 ? rows : undefined;
      });
      expect(queued).toHaveLength(1);
      expect(queued[0]?.payload).toEqual({ sessionId: id });
      const [session] = await testDb().select().from(chatSessions).where(eq(chatSessions.id, id));
      expect(session?.titleJobId).toBe(queued[0]?.id);
    } finally {
      await removeTestNodes();
    }
  });
});
