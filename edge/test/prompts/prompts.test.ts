import { SELF } from "cloudflare:test";
import {
  type Entry,
  pageSchema,
  type SuggestedPrompt,
  suggestedPromptSchema,
  type WritingPrompt,
  writingPromptSchema,
} from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createInkwellClient } from "../../src/client.ts";
import { entryAnalyses } from "../../src/db/schema/index.ts";
import { createEntry, createTopic, json } from "../entries/helpers.ts";
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

const DAY_MS = 24 * 60 * 60 * 1000;
/** An instant this many days ago, at a fixed UTC hour so the writer's local date is known. */
function daysAgo(days: number, hourUtc = 12): string {
  const day = new Date(Date.now() - days * DAY_MS);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hourUtc)).toISOString();
}

const promptPage = pageSchema(writingPromptSchema);
const suggestedPage = pageSchema(suggestedPromptSchema);

async function prompts(token: string, query = "") {
  return promptPage.parse(await json(await call(`/v1/prompts${query}`, { token }), 200));
}

async function suggested(user: TestUser | string, query = ""): Promise<SuggestedPrompt[]> {
  const token = typeof user === "string" ? user : user.accessToken;
  const page = suggestedPage.parse(await json(await call(`/v1/prompts/suggested${query}`, { token }), 200));
  expect(page.nextCursor).toBeNull();
  return page.items;
}

/** Stands in for the node's answer: the entry's analysis finished with these findings. */
async function analysed(
  entry: Entry,
  set: Partial<{
    sentimentScore: number;
    safetyLevel: "none" | "low" | "moderate" | "high" | "critical";
    patterns: { label: string; score: number; evidence: string }[];
  }>,
): Promise<void> {
  const score = set.sentimentScore ?? 0;
  await testDb()
    .update(entryAnalyses)
    .set({
      status: "done",
      sentimentLabel: score < -0.2 ? "negative" : score > 0.2 ? "positive" : "neutral",
      sentimentScore: score,
      safetyLevel: set.safetyLevel ?? "none",
      patterns: set.patterns ?? [],
      analyzedAt: new Date(),
    })
    .where(eq(entryAnalyses.entryId, entry.id));
}

describe("GET /v1/prompts", () => {
  it("lists the built-in prompts and templates, each with a why, a page at a time", async () => {
    const user = await registerUser();
    const all = await prompts(user.accessToken, "?limit=100");
    expect(all.nextCursor).toBeNull();
    const ids = all.items.map((p) => p.id);
    for (const id of [
      "gratitude",
      "evening-review",
      "worry-dump",
      "morning-pages",
      "hard-conversation",
      "small-win",
    ]) {
      expect(ids).toContain(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of all.items) {
      expect(p.title.length).toBeGreaterThan(0);
      expect(p.body.length).toBeGreaterThan(0);
      expect(p.why.length).toBeGreaterThan(0);
      expect(p.sections.length > 0).toBe(p.kind === "template");
    }

    const paged: WritingPrompt[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: WritingPrompt[]; nextCursor: string | null } = await prompts(
        user.accessToken,
        `?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(5);
      paged.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.items);
  });

  it("filters by kind; a cursor of one filter is refused by another", async () => {
    const user = await registerUser();
    const templates = await prompts(user.accessToken, "?kind=template&limit=2");
    expect(templates.items.map((p) => p.kind)).toEqual(["template", "template"]);
    const onlyPrompts = await prompts(user.accessToken, "?kind=prompt&limit=100");
    expect(onlyPrompts.items.length).toBeGreaterThan(0);
    expect(onlyPrompts.items.every((p) => p.kind === "prompt")).toBe(true);
    expect(onlyPrompts.items.map((p) => p.id)).toContain("morning-pages");

    const cursor = encodeURIComponent(templates.nextCursor ?? "");
    expect(
      await expectValidationPaths(await call(`/v1/prompts?cursor=${cursor}`, { token: user.accessToken })),
    ).toEqual(["cursor"]);
    expect(
      await expectValidationPaths(await call("/v1/prompts?kind=poem", { token: user.accessToken })),
    ).toEqual(["kind"]);
    expect(
      await expectValidationPaths(await call("/v1/prompts?limit=0", { token: user.accessToken })),
    ).toEqual(["limit"]);
  });

  it("answers a key that reads or writes entries, not an ai-only key", async () => {
    const user = await registerUser();
    const ai = await createKey(user, ["ai"]);
    await expectProblem(await call("/v1/prompts", { token: ai.key }), 403, "FORBIDDEN");
    for (const scopes of [["entries:write"], ["entries:read"]]) {
      const key = await createKey(user, scopes);
      expect((await prompts(key.key)).items.length).toBeGreaterThan(0);
    }
  });
});

describe("GET /v1/prompts/suggested", () => {
  it("suggests nothing to a writer with no history", async () => {
    const user = await registerUser();
    expect(await suggested(user)).toEqual([]);
  });

  it("notices a mood that dropped, from the moods the writer gave", async () => {
    const user = await registerUser();
    for (const [days, mood] of [
      [35, 7],
      [30, 8],
      [25, 7],
      [10, 3],
      [6, 4],
      [2, 3],
    ] as const) {
      await createEntry(user, { content: `A day, ${days} days ago.`, mood, occurredAt: daysAgo(days) });
    }
    const [first, ...rest] = await suggested(user);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({
      id: "mood-trend:lower",
      reason: "mood-trend",
      promptId: "feelings-check-in",
      basis: { measure: "mood", recentAverage: 3.3, earlierAverage: 7.3 },
    });
    expect(first?.why).toBe(
      "The moods you gave your entries of the last two weeks average 3.3, against 7.3 in the four weeks before.",
    );
  });

  it("counts mood check-ins as ratings in the mood trend", async () => {
    const user = await registerUser();
    for (const [days, mood] of [
      [35, 7],
      [30, 8],
      [25, 7],
      [10, 3],
    ] as const) {
      await createEntry(user, { content: `A day, ${days} days ago.`, mood, occurredAt: daysAgo(days) });
    }
    // One rated entry in the last two weeks is too few to speak of a trend.
    expect(await suggested(user)).toEqual([]);
    for (const [days, mood] of [
      [6, 3],
      [2, 4],
    ] as const) {
      const res = await call("/v1/mood-checkins", {
        token: user.accessToken,
        body: { mood, at: daysAgo(days) },
      });
      expect(res.status, await res.text()).toBe(201);
    }
    const [first, ...rest] = await suggested(user);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({
      id: "mood-trend:lower",
      basis: { measure: "mood", recentAverage: 3.3, earlierAverage: 7.3 },
    });
    expect(first?.why).toBe(
      "The moods you gave your entries and check-ins of the last two weeks average 3.3, against 7.3 in the four weeks before.",
    );
  });

  it("falls back to analysed sentiment when too few entries have a mood, and says a lift too", async () => {
    const user = await registerUser();
    for (const [days, score] of [
      [30, -0.6],
      [28, -0.5],
      [20, -0.7],
      [12, 0.4],
      [8, 0.5],
      [1, 0.3],
    ] as const) {
      const entry = await createEntry(user, {
        content: `Entry of ${days} days ago.`,
        occurredAt: daysAgo(days),
      });
      await analysed(entry, { sentimentScore: score });
    }
    const items = await suggested(user);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: "mood-trend:higher",
      promptId: "small-win",
      basis: { measure: "sentiment", recentAverage: 0.4, earlierAverage: -0.6 },
    });
    expect(items[0]?.why).toMatch(/read lighter than those of the four weeks before/);
  });

  it("names a thinking pattern seen in two recent entries, with the latest date in the writer's zone", async () => {
    const user = await registerUser({ timezone: "Asia/Kolkata" });
    const catastrophe = { label: "catastrophising", score: 0.8, evidence: "this will be a disaster" };
    const first = await createEntry(user, { content: "It will all go wrong.", occurredAt: daysAgo(9) });
    const latestAt = daysAgo(3, 20);
    const second = await createEntry(user, { content: "Disaster again.", occurredAt: latestAt });
    const once = await createEntry(user, { content: "They all think I'm odd.", occurredAt: daysAgo(4) });
    await analysed(first, { patterns: [catastrophe] });
    await analysed(second, { patterns: [catastrophe] });
    await analysed(once, { patterns: [{ label: "mind_reading", score: 0.7, evidence: "they all think" }] });

    const items = await suggested(user);
    expect(items.map((p) => p.id)).toEqual(["thinking-pattern:catastrophising"]);
    // 20:00 UTC is 01:30 the next day in Kolkata.
    const local = new Date(Date.parse(latestAt) + DAY_MS).toLocaleDateString("en-GB", {
      day: "numeric",
      month: "long",
      year: "numeric",
      timeZone: "UTC",
    });
    expect(items[0]).toMatchObject({
      reason: "thinking-pattern",
      promptId: "worry-dump",
      basis: { pattern: "catastrophising", entryCount: 2, lastWrittenAt: latestAt },
      why: `Something that reads like catastrophising thinking showed up in 2 of your recent entries, most recently on ${local}. This is one way to look at it from another side.`,
    });
    // Nothing of the entries' words is repeated back.
    expect(JSON.stringify(items)).not.toContain("disaster");
  });

  it("brings back a topic written about several times and not for three weeks", async () => {
    const user = await registerUser();
    const garden = await createTopic(user, "Garden");
    const work = await createTopic(user, "Work");
    const sleep = await createTopic(user, "Sleep");
    for (const days of [40, 33, 30]) {
      await createEntry(user, { content: "Garden notes.", topicIds: [garden.id], occurredAt: daysAgo(days) });
    }
    // Written about lately: not quiet.
    for (const days of [40, 30, 2]) {
      await createEntry(user, { content: "Work notes.", topicIds: [work.id], occurredAt: daysAgo(days) });
    }
    // Too few entries to call it a theme.
    for (const days of [40, 35]) {
      await createEntry(user, { content: "Sleep notes.", topicIds: [sleep.id], occurredAt: daysAgo(days) });
    }
    const items = await suggested(user);
    expect(items.map((p) => p.id)).toEqual([`topic-gap:${garden.id}`]);
    const when = new Date(daysAgo(30)).toLocaleDateString("en-GB", {
      day: "numeric",
      month: "long",
      year: "numeric",
      timeZone: "UTC",
    });
    expect(items[0]).toMatchObject({
      reason: "topic-gap",
      title: "Back to “Garden”",
      basis: { topicId: garden.id, topicName: "Garden", entryCount: 3, lastWrittenAt: daysAgo(30) },
      why: `You wrote about “Garden” in 3 entries, most recently on ${when}, and not since.`,
    });

    // A topic gone quiet while the writer wrote nothing at all is not "not since": nothing is suggested.
    const away = await registerUser();
    const music = await createTopic(away, "Music");
    for (const days of [40, 33, 30]) {
      await createEntry(away, { content: "Music notes.", topicIds: [music.id], occurredAt: daysAgo(days) });
    }
    expect(await suggested(away)).toEqual([]);
    // Another writer never sees the first writer's topics.
    expect(JSON.stringify(await suggested(away))).not.toContain("Garden");
  });

  it("offers only a check-in with crisis resources after a recent entry read at high risk", async () => {
    const user = await registerUser();
    const garden = await createTopic(user, "Garden");
    for (const days of [40, 33, 30]) {
      await createEntry(user, { content: "Garden notes.", topicIds: [garden.id], occurredAt: daysAgo(days) });
    }
    const recent = await createEntry(user, { content: "A very hard night.", occurredAt: daysAgo(1) });
    expect((await suggested(user)).map((p) => p.reason)).toEqual(["topic-gap"]);
    await analysed(recent, { safetyLevel: "high" });
    const items = await suggested(user);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: "check-in", reason: "check-in", basis: {} });
    expect(items[0]?.resources?.length).toBeGreaterThan(0);
  });

  it("pages through the suggestions with a cursor; a foreign cursor is a 400", async () => {
    const user = await registerUser();
    const garden = await createTopic(user, "Garden");
    for (const [days, mood] of [
      [40, 8],
      [33, 8],
      [30, 7],
    ] as const) {
      await createEntry(user, {
        content: "Garden notes.",
        mood,
        topicIds: [garden.id],
        occurredAt: daysAgo(days),
      });
    }
    for (const days of [9, 5, 2]) {
      const entry = await createEntry(user, { content: "Hard days.", mood: 2, occurredAt: daysAgo(days) });
      await analysed(entry, { patterns: [{ label: "labelling", score: 0.8, evidence: "i am useless" }] });
    }
    const all = await suggested(user);
    expect(all.map((p) => p.reason)).toEqual(["mood-trend", "thinking-pattern", "topic-gap"]);

    const seen: SuggestedPrompt[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page: { items: SuggestedPrompt[]; nextCursor: string | null } = suggestedPage.parse(
        await json(await call(`/v1/prompts/suggested${query}`, { token: user.accessToken }), 200),
      );
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);

    const promptCursor = (await prompts(user.accessToken, "?limit=1")).nextCursor ?? "";
    expect(
      await expectValidationPaths(
        await call(`/v1/prompts/suggested?cursor=${encodeURIComponent(promptCursor)}`, {
          token: user.accessToken,
        }),
      ),
    ).toEqual(["cursor"]);
  });

  it("needs entries:read", async () => {
    const user = await registerUser();
    const writer = await createKey(user, ["entries:write", "ai"]);
    await expectProblem(await call("/v1/prompts/suggested", { token: writer.key }), 403, "FORBIDDEN");
    const reader = await createKey(user, ["entries:read"]);
    expect(await suggested(reader.key)).toEqual([]);
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
    const list = await api.v1.prompts.$get({ query: { kind: "template", limit: "1" } });
    if (list.status !== 200) throw new Error(`status ${list.status}`);
    expect((await list.json()).items[0]?.id).toBe("gratitude");
    const mine = await api.v1.prompts.suggested.$get({ query: {} });
    if (mine.status !== 200) throw new Error(`status ${mine.status}`);
    expect(await mine.json()).toEqual({ items: [], nextCursor: null });
  });
});
