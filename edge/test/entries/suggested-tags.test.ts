import { SELF } from "cloudflare:test";
import {
  type DraftTagSuggestions,
  draftTagSuggestionsSchema,
  type Entry,
  type EntryTagSuggestions,
  entryTagSuggestionsSchema,
  uuidv7,
} from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createInkwellClient } from "../../src/client.ts";
import { entryAnalyses, entryTopics, topics } from "../../src/db/schema/index.ts";
import {
  BASE_URL,
  call,
  createKey,
  expectProblem,
  expectValidationPaths,
  randomIp,
  registerUser,
  type TestUser,
  testDb,
} from "../harness.ts";
import { createEntry, createTopic, json } from "./helpers.ts";

/** Stands in for the node's answer: the entry's analysis finished with these keywords. */
async function analysed(entry: Entry, keywords: string[]): Promise<void> {
  await testDb()
    .update(entryAnalyses)
    .set({ status: "done", keywords, sentimentLabel: "neutral", sentimentScore: 0, analyzedAt: new Date() })
    .where(eq(entryAnalyses.entryId, entry.id));
}

/** A discovered topic the entries belong to, as a discovery run leaves it. */
async function discovered(user: TestUser, name: string, keywords: string[], members: Entry[]) {
  const [topic] = await testDb()
    .insert(topics)
    .values({ id: uuidv7(), userId: user.id, name, kind: "discovered", keywords })
    .returning({ id: topics.id });
  if (!topic) throw new Error("no topic");
  if (members.length > 0) {
    await testDb()
      .insert(entryTopics)
      .values(members.map((m) => ({ entryId: m.id, topicId: topic.id, userId: user.id })));
  }
  return topic.id;
}

async function suggestions(user: TestUser | string, id: string, query = ""): Promise<EntryTagSuggestions> {
  const token = typeof user === "string" ? user : user.accessToken;
  return entryTagSuggestionsSchema.parse(
    await json(await call(`/v1/entries/${id}/suggested-tags${query}`, { token }), 200),
  );
}

function suggestDraft(user: TestUser | string, body: unknown, headers: Record<string, string> = {}) {
  const token = typeof user === "string" ? user : user.accessToken;
  return call("/v1/entries/suggest-tags", { token, body, headers });
}

const tagsOf = (answer: { items?: { tag: string }[]; tags?: unknown }) =>
  (answer.items ?? []).map((item) => item.tag);

describe("GET /v1/entries/{id}/suggested-tags", () => {
  it("suggests your tags the text has, its discovered topics and its keywords, less the tags it has", async () => {
    const user = await registerUser();
    await createEntry(user, { content: "Another long shift.", tags: ["work", "Night Shift"] });
    await createEntry(user, { content: "Quiet at work.", tags: ["work"] });
    await createEntry(user, { content: "Garden day.", tags: ["garden"] });
    const entry = await createEntry(user, {
      title: "Deadlines",
      content: "The deadline at work moved again and the night shift ran long. My manager promised help.",
      tags: ["manager"],
    });
    await analysed(entry, ["deadline", "work", "manager", "shift", "promised"]);
    const topicId = await discovered(
      user,
      "deadlines, overtime, manager",
      ["deadlines", "overtime"],
      [entry],
    );

    const answer = await suggestions(user, entry.id);
    expect(answer.entryId).toBe(entry.id);
    expect(answer.basis).toBe("analysis");
    expect(answer.tags).toEqual(["manager"]);
    // Yours first (most used first), then the topic, then keywords; "deadline" adds nothing beside
    // "deadlines", "manager" is on the entry, "shift" is among "night shift"'s words.
    expect(answer.items).toEqual([
      { tag: "work", source: "your-tag", entryCount: 2 },
      { tag: "night shift", source: "your-tag", entryCount: 1 },
      { tag: "deadlines", source: "topic", topicId },
      { tag: "promised", source: "keyword" },
    ]);
    expect(tagsOf(await suggestions(user, entry.id, "?limit=2"))).toEqual(["work", "night shift"]);
  });

  it("is accepted through PATCH /v1/entries/{id}, after which it is no longer suggested", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Swimming before breakfast, swimming after work." });
    await analysed(entry, ["swimming", "breakfast"]);
    const first = await suggestions(user, entry.id);
    expect(tagsOf(first)).toEqual(["swimming", "breakfast"]);

    const read = await call(`/v1/entries/${entry.id}`, { token: user.accessToken });
    const etag = read.headers.get("ETag") ?? "";
    const patched = await json<Entry>(
      await call(`/v1/entries/${entry.id}`, {
        method: "PATCH",
        token: user.accessToken,
        headers: { "If-Match": etag },
        body: { tags: [...first.tags, "swimming"] },
      }),
      200,
    );
    expect(patched.tags).toEqual(["swimming"]);
    const after = await suggestions(user, entry.id);
    expect(after.tags).toEqual(["swimming"]);
    expect(tagsOf(after)).toEqual(["breakfast"]);
  });

  it("uses the current text's keywords while the analysis is pending", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, {
      content: "Piano practice: scales, then the piano piece for the recital. Recital nerves already.",
    });
    const answer = await suggestions(user, entry.id);
    expect(answer.basis).toBe("text");
    expect(tagsOf(answer).slice(0, 2)).toEqual(["piano", "recital"]);
  });

  it("answers 404 for another writer's entry, a deleted one and a malformed id; 400 for a bad limit", async () => {
    const owner = await registerUser();
    const other = await registerUser();
    const entry = await createEntry(owner, { content: "Mine alone." });
    await expectProblem(
      await call(`/v1/entries/${entry.id}/suggested-tags`, { token: other.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call("/v1/entries/not-an-id/suggested-tags", { token: owner.accessToken }),
      404,
      "NOT_FOUND",
    );
    for (const limit of ["0", "21", "x"]) {
      expect(
        await expectValidationPaths(
          await call(`/v1/entries/${entry.id}/suggested-tags?limit=${limit}`, { token: owner.accessToken }),
        ),
      ).toEqual(["limit"]);
    }
    expect(
      (await call(`/v1/entries/${entry.id}`, { method: "DELETE", token: owner.accessToken })).status,
    ).toBe(204);
    await expectProblem(
      await call(`/v1/entries/${entry.id}/suggested-tags`, { token: owner.accessToken }),
      404,
      "NOT_FOUND",
    );
  });

  it("needs entries:read", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Scoped." });
    const writer = await createKey(user, ["entries:write", "ai"]);
    await expectProblem(
      await call(`/v1/entries/${entry.id}/suggested-tags`, { token: writer.key }),
      403,
      "FORBIDDEN",
    );
    const reader = await createKey(user, ["entries:read"]);
    expect((await suggestions(reader.key, entry.id)).entryId).toBe(entry.id);
  });
});

describe("POST /v1/entries/suggest-tags", () => {
  it("suggests keywords, your tags by shared words and your topics, storing nothing", async () => {
    const user = await registerUser();
    await createEntry(user, { content: "Long run by the river.", tags: ["running", "river"] });
    await createEntry(user, { content: "Run club.", tags: ["running"] });
    await createEntry(user, { content: "Sunday roast.", tags: ["family dinner"] });
    const race = await createTopic(user, "Race training");
    await createTopic(user, "Money");
    const discoveredId = await discovered(
      user,
      "half marathon, pace",
      ["half marathon", "pace", "interval"],
      [],
    );

    const draft = {
      title: "Intervals",
      content:
        "Interval session at race pace, then an easy jog along the river. Legs heavy, but the pace felt steady. Pace again on Thursday.",
    };
    const res = await suggestDraft(user, draft);
    const answer: DraftTagSuggestions = draftTagSuggestionsSchema.parse(await json(res, 200));
    expect(answer.keywords[0]).toBe("pace");
    expect(answer.tags[0]).toEqual({ tag: "river", source: "your-tag", entryCount: 1 });
    expect(answer.tags.map((t) => t.tag)).not.toContain("running");
    expect(answer.tags.map((t) => t.tag)).not.toContain("family dinner");
    expect(answer.tags.slice(1).every((t) => t.source === "keyword")).toBe(true);
    expect(answer.tags.map((t) => t.tag)).toContain("pace");
    // The discovered topic matches two of its words (pace, interval); "Race training" one word of its name.
    expect(answer.topics).toEqual([
      { id: discoveredId, name: "half marathon, pace", kind: "discovered", matched: ["pace", "interval"] },
      { id: race.id, name: "Race training", kind: "user", matched: ["race"] },
    ]);

    // Tags already chosen are not suggested again, nor their plural.
    const chosen = draftTagSuggestionsSchema.parse(
      await json(await suggestDraft(user, { ...draft, tags: ["River", "paces"], limit: 2 }), 200),
    );
    expect(chosen.tags.map((t) => t.tag)).not.toContain("river");
    expect(chosen.tags.map((t) => t.tag)).not.toContain("pace");
    expect(chosen.tags).toHaveLength(2);

    const list = await json<{ items: unknown[] }>(
      await call("/v1/entries", { token: user.accessToken }),
      200,
    );
    expect(list.items).toHaveLength(3);
  });

  it("never suggests another writer's tags or topics", async () => {
    const other = await registerUser();
    await createEntry(other, { content: "Harbour walk.", tags: ["harbour"] });
    await createTopic(other, "Harbour");
    const user = await registerUser();
    const answer = draftTagSuggestionsSchema.parse(
      await json(await suggestDraft(user, { content: "A walk down to the harbour and back." }), 200),
    );
    expect(answer.tags).toEqual([
      { tag: "walk", source: "keyword" },
      { tag: "harbour", source: "keyword" },
    ]);
    expect(answer.topics).toEqual([]);
  });

  it("replays under the same Idempotency-Key", async () => {
    const user = await registerUser();
    const headers = { "Idempotency-Key": `draft-${crypto.randomUUID()}` };
    const first = await json(await suggestDraft(user, { content: "Bread dough rising." }, headers), 200);
    const replay = await suggestDraft(user, { content: "Bread dough rising." }, headers);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await json(replay, 200)).toEqual(first);
    await expectProblem(await suggestDraft(user, { content: "Other text." }, headers), 409, "CONFLICT");
  });

  it("validates the draft: content required and not blank, limit 1..20, no unknown fields; 413 over 64 KiB", async () => {
    const user = await registerUser();
    expect(await expectValidationPaths(await suggestDraft(user, {}))).toEqual(["content"]);
    expect(await expectValidationPaths(await suggestDraft(user, { content: "   " }))).toEqual(["content"]);
    expect(await expectValidationPaths(await suggestDraft(user, { content: "x", limit: 0 }))).toEqual([
      "limit",
    ]);
    expect(
      await expectValidationPaths(await suggestDraft(user, { content: "x", tags: ["a".repeat(51)] })),
    ).toEqual(["tags.0"]);
    await expectProblem(await suggestDraft(user, { content: "x", mood: 3 }), 400, "VALIDATION_FAILED");
    await expectProblem(
      await suggestDraft(user, { content: "é".repeat(33 * 1024) }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
  });

  it("needs entries:read: it reads your tags and topics", async () => {
    const user = await registerUser();
    const writer = await createKey(user, ["entries:write", "ai"]);
    await expectProblem(await suggestDraft(writer.key, { content: "Hello." }), 403, "FORBIDDEN");
    const reader = await createKey(user, ["entries:read"]);
    expect((await suggestDraft(reader.key, { content: "Hello there, garden." })).status).toBe(200);
  });

  it("is in the typed client", async () => {
    const user = await registerUser();
    const ip = randomIp();
    const api = createInkwellClient(BASE_URL, {
      token: user.accessToken,
      fetch: (input, init) => {
        const request = new Request(input, init);
        request.headers.set("CF-Connecting-IP", ip);
        return SELF.fetch(request);
      },
    });
    const draft = await api.v1.entries["suggest-tags"].$post({ json: { content: "Tomatoes ripening." } });
    if (draft.status !== 200) throw new Error(`status ${draft.status}`);
    expect((await draft.json()).keywords).toEqual(["tomatoes", "ripening"]);
    const entry = await createEntry(user, { content: "Tomatoes ripening, finally." });
    const saved = await api.v1.entries[":id"]["suggested-tags"].$get({
      param: { id: entry.id },
      query: { limit: "1" },
    });
    if (saved.status !== 200) throw new Error(`status ${saved.status}`);
    expect((await saved.json()).items).toEqual([{ tag: "tomatoes", source: "keyword" }]);
  });
});
