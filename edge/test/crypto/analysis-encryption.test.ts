import {
  type ChatMessage,
  type Entry,
  entrySchema,
  type Reflection,
  type Topic,
  topicSchema,
  uuidv7,
} from "@inkwell/shared";
import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { FieldDecryptError } from "../../src/crypto/field-cipher.ts";
import { entryAnalyses, jobs, topics } from "../../src/db/schema/index.ts";
import { openAnalysisFields } from "../../src/services/analysis-fields.ts";
import { recentThinkingPatterns } from "../../src/services/chat-patterns.ts";
import { runEncryptRows } from "../../src/services/encrypt-rows.ts";
import { loadReflectionFacts } from "../../src/services/reflections.ts";
import { openTopicFields } from "../../src/services/topic-fields.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, callWithEnv, registerUser, type TestUser, testDb } from "../harness.ts";
import { getJson, seedEntries } from "../insights/helpers.ts";
import {
  analysisResult,
  CALLBACK,
  deliveredCallback,
  postSigned,
  removeTestNodes,
} from "../pipeline/helpers.ts";
import { sessionMessages } from "../sessions/helpers.ts";
import { deliverTopics, listTopics, runningDiscoveryJob, seedAnalysed, topic } from "../topics/helpers.ts";
import { keyring } from "./helpers.ts";

afterAll(removeTestNodes);

/** Lower case: reflections lower-case the keywords they count. */
const MARKER = "quillharrow";
const CIPHERTEXT = /^ik1\.\d+\.[A-Za-z0-9_-]+$/;
const EVIDENCE = `I always ruin the ${MARKER}`;

/** The user's analysis rows as Postgres prints them: every column, as text. */
async function dumpOf(userId: string): Promise<string> {
  const rows = await testDb().execute<{ row: string }>(sql`
    select t::text as row from entry_analyses t where t.user_id = ${userId}::uuid`);
  return rows.map((r) => r.row).join("\n");
}

async function getEntry(user: TestUser, id: string): Promise<Entry> {
  return entrySchema.parse(await json(await call(`/v1/entries/${id}`, { token: user.accessToken }), 200));
}

/** An entry whose analysis arrives from a node, with the marker in a keyword and in a pattern's evidence. */
async function analysedEntry(user: TestUser, occurredAt = "2025-03-04T08:00:00Z"): Promise<Entry> {
  const entry = await createEntry(user, { content: "A night by the water, thinking.", occurredAt });
  // A job a node is running, beside the one the write created (which waits here for a node).
  const jobId = uuidv7();
  await testDb()
    .insert(jobs)
    .values({
      id: jobId,
      userId: user.id,
      entryId: entry.id,
      kind: "analyze-entry",
      status: "running",
      attempts: 1,
      payload: { entryId: entry.id, contentVersion: 1 },
      startedAt: new Date(),
    });
  const answer = {
    ...analysisResult(jobId, entry.id, 1),
    keywords: [MARKER, "harbour"],
    patterns: [{ label: "all_or_nothing" as const, score: 0.81, evidence: EVIDENCE, occurrences: 2 }],
  };
  const body = await deliveredCallback({
    answer,
    source: { jobId, attempt: 1, entryId: entry.id, contentVersion: 1 },
  });
  expect((await json<{ outcome: string }>(await postSigned(CALLBACK, body), 200)).outcome).toBe("applied");
  return await getEntry(user, entry.id);
}

describe("entry analyses at rest", () => {
  it("hold keywords and evidence sealed, while every reader still shows them", async () => {
    const user = await registerUser();
    const entry = await analysedEntry(user);

    // What the writer sees.
    expect(entry.analysis).toMatchObject({
      status: "done",
      keywords: [MARKER, "harbour"],
      patterns: [{ label: "all_or_nothing", score: 0.81, evidence: EVIDENCE }],
    });
    const listed = await getJson<{ items: Entry[] }>("/v1/entries", user);
    expect(listed.items.map((e) => entrySchema.parse(e))).toEqual([entry]);
    const favourite = await json<Entry>(
      await call(`/v1/entries/${entry.id}/favorite`, { method: "PUT", token: user.accessToken }),
      200,
    );
    expect(entrySchema.parse(favourite).analysis.keywords).toEqual([MARKER, "harbour"]);
    const tags = await getJson<{ basis: string; items: { tag: string }[] }>(
      `/v1/entries/${entry.id}/suggested-tags`,
      user,
    );
    expect(tags.basis).toBe("analysis");
    expect(tags.items.map((t) => t.tag)).toContain(MARKER);
    // The greeting names the latest entry's keywords (it has no title).
    const session = await json<{ id: string }>(
      await call("/v1/sessions", {
        token: user.accessToken,
        body: { type: "reflection_buddy", greeting: true },
      }),
      201,
    );
    const [greeting] = await sessionMessages(user.accessToken, session.id);
    expect((greeting as ChatMessage).content).toContain(`touched on ${MARKER} and harbour`);
    // What a pattern-detective chat quotes to its model.
    const found = await recentThinkingPatterns(testDb(), keyring(), user.id);
    expect(found.patterns.map((p) => [p.label, p.evidence.map((e) => e.text)])).toEqual([
      ["all_or_nothing", [EVIDENCE]],
    ]);
    // A reflection counts the keywords.
    const accepted = await json<{ reflectionId: string }>(
      await callWithEnv({}, "/v1/insights/reflections", {
        token: user.accessToken,
        body: { period: "week", at: "2025-03-05T12:00:00Z" },
      }),
      202,
    );
    const reflection = await getJson<Reflection>(`/v1/insights/reflections/${accepted.reflectionId}`, user);
    expect(reflection.themes?.keywords).toEqual([
      { label: "harbour", count: 1 },
      { label: MARKER, count: 1 },
    ]);
    // The export, in JSON and in Markdown.
    const exported = await json<{ entries: Entry[] }>(
      await call("/v1/me/export", { token: user.accessToken }),
      200,
    );
    expect(exported.entries.map((e) => entrySchema.parse(e).analysis)).toEqual([
      entrySchema.parse(favourite).analysis,
    ]);
    const markdown = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(markdown).toContain(`keywords ${MARKER}, harbour`);

    // What Postgres holds: labels and scores, no words.
    const dump = await dumpOf(user.id);
    expect(dump.split("\n")).toHaveLength(1);
    expect(dump.toLowerCase()).not.toContain(MARKER);
    expect(dump.toLowerCase()).not.toContain("harbour");
    expect(dump).toContain("all_or_nothing");
    const [stored] = await testDb().select().from(entryAnalyses).where(eq(entryAnalyses.entryId, entry.id));
    expect(stored).toMatchObject({
      keywords: null,
      patterns: [{ label: "all_or_nothing", score: 0.81, occurrences: 2 }],
    });
    expect(stored?.keywordsCt).toMatch(CIPHERTEXT);
    expect(stored?.evidenceCt).toMatch(CIPHERTEXT);
  });

  it("finds keywords stored in plain text (the dump can fail), shows them, and the migration job seals them", async () => {
    const user = await registerUser();
    const [id] = await seedEntries(user.id, [
      { occurredAt: "2025-03-04T08:00:00Z", sentiment: 0.5, keywords: [MARKER, "Harbour", "harbour"] },
    ]);
    await testDb()
      .update(entryAnalyses)
      .set({ patterns: [{ label: "catastrophising", score: 0.6, evidence: EVIDENCE }] })
      .where(eq(entryAnalyses.entryId, id ?? ""));
    expect((await dumpOf(user.id)).toLowerCase()).toContain(MARKER);
    const before = await getEntry(user, id ?? "");
    expect(before.analysis).toMatchObject({
      keywords: [MARKER, "Harbour", "harbour"],
      patterns: [{ label: "catastrophising", score: 0.6, evidence: EVIDENCE }],
    });

    const run = await runEncryptRows(testDb(), keyring(), { userIds: [user.id], batches: 10, limit: 10 });
    expect(run).toMatchObject({ encrypted: 1, finished: true });
    expect((await dumpOf(user.id)).toLowerCase()).not.toContain(MARKER);
    expect((await getEntry(user, id ?? "")).analysis).toEqual(before.analysis);
  });

  it("a ciphertext moved to another row, column or user does not open", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const first = await analysedEntry(user);
    const second = await analysedEntry(user, "2025-03-06T08:00:00Z");
    const others = await analysedEntry(other);
    const rowOf = async (entryId: string) => {
      const [row] = await testDb().select().from(entryAnalyses).where(eq(entryAnalyses.entryId, entryId));
      if (!row) throw new Error("analysis missing");
      return row;
    };
    const [a, b, c] = [await rowOf(first.id), await rowOf(second.id), await rowOf(others.id)];
    const keys = keyring();

    expect((await openAnalysisFields(keys, a)).keywords).toEqual([MARKER, "harbour"]);
    // Another entry of the same writer.
    await expect(openAnalysisFields(keys, { ...b, keywordsCt: a.keywordsCt })).rejects.toBeInstanceOf(
      FieldDecryptError,
    );
    // Another writer's entry.
    await expect(openAnalysisFields(keys, { ...c, evidenceCt: a.evidenceCt })).rejects.toBeInstanceOf(
      FieldDecryptError,
    );
    // The evidence column's value in the keywords column.
    await expect(openAnalysisFields(keys, { ...a, keywordsCt: a.evidenceCt })).rejects.toBeInstanceOf(
      FieldDecryptError,
    );

    // Moved in the database, the API refuses to show it rather than showing it in the wrong place (read
    // past the cached view of the entry, which holds what the entry showed before).
    await testDb()
      .update(entryAnalyses)
      .set({ keywordsCt: a.keywordsCt })
      .where(eq(entryAnalyses.entryId, others.id));
    const res = await callWithEnv({ VIEW_CACHE: "off" }, `/v1/entries/${others.id}`, {
      token: other.accessToken,
    });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain(MARKER);
  });

  it("a reflection counts keywords at the edge exactly as the SQL it replaces did, sealed or not", async () => {
    const user = await registerUser();
    const words = [
      ["Harbour", "harbour", "tide", " "],
      ["tide", "gulls", "Tide"],
      ["gulls", "rain", "harbour"],
      ["rain", "well-being", "wellbeing", "", "ZEBRA"],
      ["zebra", "apple", "tide"],
      [],
    ];
    await seedEntries(
      user.id,
      words.map((keywords, i) => ({ occurredAt: `2025-03-0${i + 3}T08:00:00Z`, sentiment: 0.1, keywords })),
    );
    const period = {
      period: "week" as const,
      periodStart: new Date("2025-03-03T00:00:00Z"),
      periodEnd: new Date("2025-03-10T00:00:00Z"),
      timezone: "UTC",
    };
    // The aggregation as SQL ran it over plaintext keywords before they were sealed.
    const bySql = await testDb().execute<{ label: string; count: number }>(sql`
      select lower(k.word) as label, count(distinct e.id)::int as count
      from entries e
      join entry_analyses a on a.entry_id = e.id and a.user_id = ${user.id}::uuid and a.status = 'done'
      cross join lateral unnest(coalesce(a.keywords, '{}'::text[])) as k(word)
      where e.user_id = ${user.id}::uuid and e.deleted_at is null
        and e.occurred_at >= '2025-03-03T00:00:00Z' and e.occurred_at < '2025-03-10T00:00:00Z'
        and btrim(k.word) <> ''
      group by 1 order by 2 desc, 1 limit 5`);
    const expected = bySql.map((r) => ({ label: r.label, count: r.count }));
    expect(expected.length).toBe(5);
    const plain = await loadReflectionFacts(testDb(), keyring(), user.id, period, new Date());
    expect(plain.keywords).toEqual(expected);
    await runEncryptRows(testDb(), keyring(), { userIds: [user.id], batches: 10, limit: 10 });
    expect((await dumpOf(user.id)).toLowerCase()).not.toContain("harbour");
    const sealed = await loadReflectionFacts(testDb(), keyring(), user.id, period, new Date());
    expect(sealed.keywords).toEqual(expected);
  });
});

/** The user's topic rows as Postgres prints them. */
async function topicDump(userId: string): Promise<string> {
  const rows = await testDb().execute<{ row: string }>(sql`
    select t::text as row from topics t where t.user_id = ${userId}::uuid`);
  return rows.map((r) => r.row).join("\n");
}

describe("topics at rest", () => {
  it("hold descriptions and discovered keywords sealed, while the API, suggestions and export show them", async () => {
    const user = await registerUser();
    const made = topicSchema.parse(
      await json(
        await call("/v1/topics", {
          token: user.accessToken,
          body: { name: "Evenings", description: `Walks to the ${MARKER}` },
        }),
        201,
      ),
    );
    expect(made.description).toBe(`Walks to the ${MARKER}`);
    const members = await seedAnalysed(user.id, ["one", "two", "three"]);
    const jobId = await runningDiscoveryJob(user.id);
    expect(await deliverTopics(jobId, user.id, [topic(`sea, ${MARKER}, gulls`, members)])).toBe("applied");
    // A rename of the description is sealed too.
    const renamed = topicSchema.parse(
      await json(
        await call(`/v1/topics/${made.id}`, {
          method: "PATCH",
          token: user.accessToken,
          body: { description: `Evenings by the ${MARKER}` },
        }),
        200,
      ),
    );
    expect(renamed.description).toBe(`Evenings by the ${MARKER}`);

    const listed = await listTopics(user);
    const discovered = listed.find((t) => t.kind === "discovered");
    expect(discovered?.keywords).toEqual(["sea", MARKER, "gulls"]);
    expect(listed.find((t) => t.id === made.id)?.description).toBe(`Evenings by the ${MARKER}`);
    const one = topicSchema.parse(await getJson(`/v1/topics/${discovered?.id}`, user));
    expect(one.keywords).toEqual(["sea", MARKER, "gulls"]);
    // A draft sharing two of the discovered topic's keywords is matched to it.
    const draft = await json<{ topics: { id: string }[] }>(
      await call("/v1/entries/suggest-tags", {
        token: user.accessToken,
        body: { content: `Gulls over the ${MARKER} again.` },
      }),
      200,
    );
    expect(draft.topics.map((t) => t.id)).toContain(discovered?.id);
    const exported = await json<{ topics: Topic[] }>(
      await call("/v1/me/export", { token: user.accessToken }),
      200,
    );
    expect(exported.topics.map((t) => topicSchema.parse(t))).toEqual(listed);

    // Names are still stored in the clear (the discovered one holds the marker); nothing else is.
    const dump = (await topicDump(user.id)).toLowerCase().replaceAll(`sea, ${MARKER}, gulls`, "");
    expect(dump).not.toContain(MARKER);
    const rows = await testDb().select().from(topics).where(eq(topics.userId, user.id));
    for (const row of rows) expect(row).toMatchObject({ description: null, keywords: null });
    expect(rows.filter((r) => r.descriptionCt !== null || r.keywordsCt !== null)).toHaveLength(2);

    // A ciphertext moved to another topic does not open.
    const [a, b] = rows;
    if (!a || !b) throw new Error("topics missing");
    const sealedOne = a.keywordsCt ?? a.descriptionCt;
    await expect(
      openTopicFields(keyring(), { ...b, userId: user.id, keywordsCt: sealedOne, descriptionCt: null }),
    ).rejects.toBeInstanceOf(FieldDecryptError);
  });

  it("finds a plaintext description, shows it, and the migration job seals it", async () => {
    const user = await registerUser();
    const id = uuidv7();
    await testDb()
      .insert(topics)
      .values({ id, userId: user.id, name: "Old", description: `old ${MARKER}`, kind: "user" });
    expect((await topicDump(user.id)).toLowerCase()).toContain(MARKER);
    const before = topicSchema.parse(await getJson(`/v1/topics/${id}`, user));
    expect(before.description).toBe(`old ${MARKER}`);
    const run = await runEncryptRows(testDb(), keyring(), { userIds: [user.id], batches: 10, limit: 10 });
    expect(run).toMatchObject({ encrypted: 1, finished: true });
    expect((await topicDump(user.id)).toLowerCase()).not.toContain(MARKER);
    const after = topicSchema.parse(
      await json(
        await callWithEnv({ VIEW_CACHE: "off" }, `/v1/topics/${id}`, { token: user.accessToken }),
        200,
      ),
    );
    expect(after).toEqual(before);
  });
});
