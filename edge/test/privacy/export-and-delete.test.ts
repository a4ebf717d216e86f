import { type ChatMessage, type ChatSession, chatSessionSchema, uuidv7 } from "@inkwell/shared";
import { Redis } from "@upstash/redis/cloudflare";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobs, users, vectorTombstones } from "../../src/db/schema/index.ts";
import { holdReplySlot } from "../../src/lib/reply-slots.ts";
import { requestReflection } from "../../src/services/reflection-requests.ts";
import { purgeExpiredEntries } from "../../src/services/retention.ts";
import { cacheQueryEmbedding, queryEmbeddingKey } from "../../src/services/semantic-search.ts";
import { keyring } from "../crypto/helpers.ts";
import { createEntry, createTopic, json } from "../entries/helpers.ts";
import {
  call,
  callWithEnv,
  createKey,
  edgeEnv,
  expectProblem,
  expectValidationPaths,
  registerUser,
  type TestUser,
  testDb,
} from "../harness.ts";
import { analysisResult, CALLBACK, callbackBody, FAILURE, postSigned } from "../pipeline/helpers.ts";

type SessionExport = ChatSession & { messages: ChatMessage[] };

async function newSession(user: TestUser, type: string, title?: string): Promise<string> {
  const body = title ? { type, title } : { type };
  return chatSessionSchema.parse(
    await json(await call("/v1/sessions", { token: user.accessToken, body }), 201),
  ).id;
}

async function say(user: TestUser, sessionId: string, content: string): Promise<void> {
  await json(
    await call(`/v1/sessions/${sessionId}/messages`, { token: user.accessToken, body: { content } }),
    200,
  );
}

function testRedis(): Redis {
  return new Redis({
    url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
    token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
  });
}

/** Every Redis key naming `id` (a user's or one of their keys'), found by scanning the whole keyspace. */
async function redisKeysOf(id: string): Promise<string[]> {
  const redis = testRedis();
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, { match: `*${id}*`, count: 1000 });
    found.push(...keys);
    cursor = String(next);
  } while (cursor !== "0");
  return found;
}

/** Rows of every table of the schema whose text (any column, JSON included) mentions `needle`. */
async function rowsMentioning(needle: string): Promise<{ table: string; row: string }[]> {
  const db = testDb();
  const tables = await db.execute<{ name: string }>(sql`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
  expect(tables.length).toBeGreaterThan(10);
  const hits: { table: string; row: string }[] = [];
  for (const { name } of tables) {
    const rows = await db.execute<{ row: string }>(
      sql`select t::text as row from ${sql.identifier(name)} t where strpos(t::text, ${needle}) > 0`,
    );
    hits.push(...rows.map((r) => ({ table: name, row: r.row })));
  }
  return hits;
}

describe("GET /v1/me/export", () => {
  it("streams the whole journal as JSON: every entry, topics, profile — nothing of anyone else", async () => {
    const user = await registerUser({ displayName: "Ada" });
    const other = await registerUser();
    await createEntry(other, { content: "not yours" });
    const topic = await createTopic(user, "Sea");
    const first = await createEntry(user, { content: "entry number 0", topicIds: [topic.id] });
    // The rest straight into the table: the export pages through 450 rows, not through 450 API calls.
    await testDb().execute(sql`
      insert into entries (id, user_id, content, word_count, occurred_at)
      select gen_random_uuid(), ${user.id}::uuid, 'entry number ' || n, 3, now() - n * interval '1 minute'
      from generate_series(1, 449) as n`);
    const res = await call("/v1/me/export", { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Disposition")).toMatch(/attachment; filename="inkwell-export-.*\.json"/);
    const doc = (await res.json()) as {
      format: string;
      user: { email: string; displayName: string };
      topics: { id: string }[];
      entries: { content: string; topicIds: string[] }[];
    };
    expect(doc.format).toBe("inkwell-export/v1");
    expect(doc.user).toMatchObject({ email: user.email, displayName: "Ada" });
    expect(doc.topics.map((t) => t.id)).toEqual([topic.id]);
    expect(doc.entries).toHaveLength(450);
    expect(new Set(doc.entries.map((e) => e.content)).size).toBe(450);
    expect(doc.entries.find((e) => e.content === first.content)?.topicIds).toEqual([topic.id]);
    expect(doc.entries.some((e) => e.content === "not yours")).toBe(false);
  });

  it("writes one readable Markdown document", async () => {
    const user = await registerUser();
    await createEntry(user, {
      title: "Morning",
      content: "Coffee on the balcony.",
      mood: 8,
      occurredAt: "2026-05-04T07:00:00Z",
    });
    const res = await call("/v1/me/export?format=markdown", { token: user.accessToken });
    expect(res.headers.get("Content-Type")).toContain("text/markdown");
    const text = await res.text();
    expect(text).toContain("## 2026-05-04 — Morning");
    expect(text).toContain("Coffee on the balcony.");
    expect(text).toContain("mood 8/10");
  });

  it("carries the writer's settings, and their chat sessions with every message, page by page", async () => {
    const user = await registerUser({ timezone: "Europe/Lisbon" });
    await json(
      await call("/v1/me", { method: "PATCH", token: user.accessToken, body: { weeklyReflection: true } }),
      200,
    );
    const other = await registerUser();
    const theirs = await newSession(other, "free_chat");
    await say(other, theirs, "marker-of-the-other-writer");

    const talked = await newSession(user, "reflection_buddy", "Sunday thoughts");
    await say(user, talked, "I walked to the harbour and felt calm.");
    // The rest straight into the tables: 60 sessions (more than a page) and one with 450 messages.
    const db = testDb();
    await db.execute(sql`
      insert into chat_sessions (id, user_id, type, title, created_at, updated_at)
      select gen_random_uuid(), ${user.id}::uuid, 'free_chat', 'bulk ' || n,
             now() - interval '1 day' + n * interval '1 second', now()
      from generate_series(1, 60) as n`);
    const [long] = await db.execute<{ id: string }>(sql`
      select id from chat_sessions where user_id = ${user.id}::uuid and title = 'bulk 7'`);
    await db.execute(sql`
      insert into chat_messages (id, session_id, user_id, role, content, created_at)
      select gen_random_uuid(), ${long?.id}::uuid, ${user.id}::uuid,
             case when n % 2 = 0 then 'user' else 'assistant' end, 'message number ' || n,
             now() - interval '1 hour' + n * interval '1 microsecond'
      from generate_series(1, 450) as n`);

    const res = await call("/v1/me/export", { token: user.accessToken });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("marker-of-the-other-writer");
    const doc = JSON.parse(text) as { settings: Record<string, unknown>; sessions: SessionExport[] };
    expect(doc.settings).toEqual({ timezone: "Europe/Lisbon", weeklyReflection: true });
    expect(doc.sessions).toHaveLength(61);
    expect(new Set(doc.sessions.map((s) => s.id)).size).toBe(61);
    expect(doc.sessions.some((s) => s.id === theirs)).toBe(false);
    const first = doc.sessions.find((s) => s.id === talked);
    expect(first).toMatchObject({ type: "reflection_buddy", title: "Sunday thoughts", messageCount: 2 });
    expect(first?.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(first?.messages[0]?.content).toBe("I walked to the harbour and felt calm.");
    const bulk = doc.sessions.find((s) => s.id === long?.id);
    expect(bulk?.messageCount).toBe(450);
    // Every message once, in the order written, across three pages.
    expect(bulk?.messages.map((m) => m.content)).toEqual(
      Array.from({ length: 450 }, (_, i) => `message number ${i + 1}`),
    );

    const md = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(md).toContain("Settings: timezone Europe/Lisbon · weeklyReflection true");
    expect(md).toContain("# Chat sessions");
    expect(md).toContain("## Reflection buddy — Sunday thoughts");
    expect(md).toMatch(
      /\*\*You\*\* · \d{4}-\d{2}-\d{2} \d{2}:\d{2}\n\nI walked to the harbour and felt calm\./,
    );
    expect(md).toContain("**Inkwell** · ");
    expect(md).toContain("message number 450");
    expect(md).not.toContain("marker-of-the-other-writer");
    expect(md).not.toContain('```json\n[\n  {\n    "id"');
  });

  it("a writer with nothing but an account still gets a whole document in both formats", async () => {
    const user = await registerUser();
    const doc = await json<{ entries: unknown[]; sessions: unknown[]; reflections: unknown[] }>(
      await call("/v1/me/export", { token: user.accessToken }),
      200,
    );
    expect(doc).toMatchObject({ entries: [], sessions: [], reflections: [] });
    const md = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(md).toContain("# Journal of");
  });

  it("shows reflections as readable Markdown", async () => {
    const user = await registerUser();
    await createEntry(user, { content: "A calm week by the sea.", occurredAt: "2025-09-02T08:00:00Z" });
    await requestReflection(testDb(), user.id, "week", new Date("2025-09-03T00:00:00Z"));
    const md = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(md).toContain("# Reflections");
    expect(md).toContain("## Week of 2025-09-01");
  });

  it("refuses a bad format and a missing token", async () => {
    const user = await registerUser();
    expect(
      await expectValidationPaths(await call("/v1/me/export?format=pdf", { token: user.accessToken })),
    ).toContain("format");
    await expectProblem(await call("/v1/me/export"), 401, "UNAUTHENTICATED");
  });
});

describe("DELETE /v1/me", () => {
  it("needs the password again, and a session rather than an API key", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write"]);
    await expectProblem(
      await call("/v1/me", { method: "DELETE", token: key.key, body: { password: user.password } }),
      403,
      "FORBIDDEN",
    );
    expect(
      await expectValidationPaths(
        await call("/v1/me", {
          method: "DELETE",
          token: user.accessToken,
          body: { password: "wrong one!!" },
        }),
      ),
    ).toContain("password");
    expect(
      await expectValidationPaths(
        await call("/v1/me", { method: "DELETE", token: user.accessToken, body: {} }),
      ),
    ).toContain("password");
    // A wrong password here counts towards the sign-in lockout like any other.
    const [row] = await testDb()
      .select({ failed: users.failedLoginCount })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.failed).toBe(1);
  });

  it("removes everything: rows, tokens, keys and cache keys, at once", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read"]);
    const topic = await createTopic(user, "Gone");
    const entry = await createEntry(user, { content: "soon forgotten", topicIds: [topic.id] });
    // Warm caches so there is something to remove.
    await json(await call(`/v1/entries/${entry.id}`, { token: key.key }), 200);
    await json(await call("/v1/entries", { token: user.accessToken }), 200);
    // A cached query vector, as a semantic search leaves one: kept per user, so it goes with them.
    const keys = keyring();
    const other = await registerUser();
    const qemb = await queryEmbeddingKey(keys, user.id, "what worried me");
    expect(qemb).not.toBe(await queryEmbeddingKey(keys, other.id, "what worried me"));
    await cacheQueryEmbedding({ redis: testRedis(), dataKeys: keys }, user.id, "what worried me", {
      model: "m",
      embedding: [1, 0],
    });

    const res = await call("/v1/me", {
      method: "DELETE",
      token: user.accessToken,
      body: { password: user.password },
    });
    const body = await json<{ deleted: boolean; purgeJobId: string }>(res, 202);
    expect(body.deleted).toBe(true);

    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
    await expectProblem(await call("/v1/entries", { token: key.key }), 401, "UNAUTHENTICATED");
    await expectProblem(
      await call("/v1/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      401,
      "UNAUTHENTICATED",
    );

    const db = testDb();
    const leftovers = await db.execute<{ n: number }>(sql`
      select (select count(*) from users where id = ${user.id})
           + (select count(*) from entries where user_id = ${user.id})
           + (select count(*) from entry_analyses where user_id = ${user.id})
           + (select count(*) from topics where user_id = ${user.id})
           + (select count(*) from api_keys where user_id = ${user.id})
           + (select count(*) from refresh_tokens where user_id = ${user.id})
           + (select count(*) from jobs where user_id = ${user.id}) as n`);
    expect(Number(leftovers[0]?.n)).toBe(0);
    const purge = await db.execute<{ kind: string; payload: { userId: string } }>(
      sql`select kind, payload from jobs where id = ${body.purgeJobId}`,
    );
    expect(purge[0]).toMatchObject({ kind: "purge-user-vectors", payload: { userId: user.id } });

    expect(await redisKeysOf(user.id)).toEqual([]);
  });

  it("leaves no Redis key of the account behind: idempotency records, views, limits, reply slots, key use", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write"]);
    // An idempotent write stores its answer (the entry's text) for a day.
    const stored = await call("/v1/entries", {
      token: key.key,
      body: { content: "A private thought kept for replay." },
      headers: { "Idempotency-Key": "before-leaving-1" },
    });
    expect(stored.status).toBe(201);
    // Through a context that waits for background work, so the key's last-use mark is written too.
    expect((await callWithEnv({}, "/v1/entries", { token: key.key })).status).toBe(200);
    expect((await call("/v1/entries", { token: user.accessToken })).status).toBe(200);
    await cacheQueryEmbedding({ redis: testRedis(), dataKeys: keyring() }, user.id, "a private thought", {
      model: "m",
      embedding: [0, 1],
    });
    // A chat reply still being written when the account goes.
    await holdReplySlot({ redis: testRedis() }, user.id, "reply-in-flight");
    const before = [...(await redisKeysOf(user.id)), ...(await redisKeysOf(key.id))];
    expect(before.length).toBeGreaterThanOrEqual(6);

    const res = await call("/v1/me", {
      method: "DELETE",
      token: user.accessToken,
      body: { password: user.password },
    });
    await json(res, 202);

    expect(await redisKeysOf(user.id)).toEqual([]);
    expect(await redisKeysOf(key.id)).toEqual([]);
  });

  it("results of jobs still in flight when the account goes are dropped; nothing comes back", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Written just before leaving." });
    const session = await newSession(user, "free_chat");
    await say(user, session, "One last conversation.");
    const reflection = await requestReflection(testDb(), user.id, "week", new Date(), "node");
    // In flight: handed to a node (attempt 1), its answer not back yet.
    const inFlight = async (kind: string, payload: Record<string, unknown>, entryId?: string) => {
      const id = uuidv7();
      await testDb().insert(jobs).values({
        id,
        userId: user.id,
        entryId,
        kind,
        status: "running",
        attempts: 1,
        payload,
        startedAt: new Date(),
      });
      return id;
    };
    await testDb()
      .update(jobs)
      .set({ status: "running", attempts: 1, startedAt: new Date() })
      .where(eq(jobs.id, entry.jobId ?? ""));
    const topicsJob = await inFlight("discover-topics", { userId: user.id });
    const titleJob = await inFlight("title-session", { sessionId: session });

    const res = await call("/v1/me", {
      method: "DELETE",
      token: user.accessToken,
      body: { password: user.password },
    });
    const { purgeJobId } = await json<{ purgeJobId: string }>(res, 202);

    // The late answers, each signed by QStash as it would be.
    const late = [
      { jobId: entry.jobId ?? "", answer: analysisResult(entry.jobId ?? "", entry.id, 1) },
      {
        jobId: reflection.jobId,
        answer: {
          jobId: reflection.jobId,
          reflectionId: reflection.reflectionId,
          text: `A week [entry:${entry.id}].`,
          citations: [{ entryId: entry.id }],
          model: "llama-cpp:tiny.gguf",
        },
      },
      {
        jobId: topicsJob,
        answer: { jobId: topicsJob, userId: user.id, model: "m", topics: [], retiredIds: [] },
      },
      {
        jobId: titleJob,
        answer: { jobId: titleJob, sessionId: session, title: "Leaving", tags: [], source: "llm" },
      },
    ];
    for (const { jobId, answer } of late) {
      const success = await postSigned(CALLBACK, callbackBody({ answer, source: { jobId, attempt: 1 } }));
      expect((await json<{ outcome: string }>(success, 200)).outcome).toBe("unknown-job");
      const failure = await postSigned(FAILURE, callbackBody({ status: 500, source: { jobId, attempt: 1 } }));
      expect((await json<{ outcome: string }>(failure, 200)).outcome).toBe("unknown-job");
    }

    // Every table, every column: the only rows that still name the user are the job purging their
    // vectors and the account's tombstone (its id and when, nothing else), which lets a late write be
    // purged again and goes with the retention sweep.
    const hits = await rowsMentioning(user.id);
    expect(hits.map((h) => h.table).sort()).toEqual(["jobs", "vector_tombstones"]);
    const [purge] = await testDb().select().from(jobs).where(eq(jobs.id, purgeJobId));
    expect(purge).toMatchObject({ kind: "purge-user-vectors", userId: null, payload: { userId: user.id } });
    expect(hits.find((h) => h.table === "jobs")?.row).toContain(purgeJobId);
    const [tombstone] = await testDb()
      .select()
      .from(vectorTombstones)
      .where(eq(vectorTombstones.userId, user.id));
    expect(tombstone).toMatchObject({ userId: user.id, entryId: null });
    // Nor does any of the account's data survive under its own ids.
    for (const id of [entry.id, session, reflection.reflectionId])
      expect(await rowsMentioning(id)).toEqual([]);
    expect(await redisKeysOf(user.id)).toEqual([]);
  });
});

describe("retention", () => {
  it("removes soft-deleted entries for good once the retention period has passed, and nothing else", async () => {
    const user = await registerUser();
    const kept = await createEntry(user, { content: "kept" });
    const recent = await createEntry(user, { content: "deleted today" });
    const old = await createEntry(user, { content: "deleted long ago" });
    await call(`/v1/entries/${recent.id}`, { method: "DELETE", token: user.accessToken });
    await call(`/v1/entries/${old.id}`, { method: "DELETE", token: user.accessToken });
    const db = testDb();
    await db.execute(sql`update entries set deleted_at = now() - interval '31 days' where id = ${old.id}`);
    expect(await purgeExpiredEntries(db, 30)).toBeGreaterThanOrEqual(1);
    const rows = await db.execute<{ id: string }>(
      sql`select id from entries where user_id = ${user.id} order by id`,
    );
    expect(rows.map((r) => r.id).sort()).toEqual([kept.id, recent.id].sort());
  });
});
