import type { Entry } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entryAnalyses } from "../../src/db/schema/index.ts";
import { call, createKey, expectValidationPaths, registerUser, type TestUser, testDb } from "../harness.ts";
import { createEntry, json, listAll } from "./helpers.ts";

/** Stands in for the node's answer: the entry's analysis is finished with this sentiment. */
async function analysed(entry: Entry, label: "negative" | "neutral" | "positive"): Promise<void> {
  const score = { negative: -0.7, neutral: 0, positive: 0.8 }[label];
  await testDb()
    .update(entryAnalyses)
    .set({ status: "done", sentimentLabel: label, sentimentScore: score, analyzedAt: new Date() })
    .where(eq(entryAnalyses.entryId, entry.id));
}

async function seed(user: TestUser) {
  const hour = (h: number) => `2026-03-0${h}T10:00:00Z`;
  const low = await createEntry(user, {
    content: "a grey day",
    mood: 2,
    occurredAt: hour(1),
    tags: ["work"],
  });
  const mid = await createEntry(user, { content: "an ordinary day", mood: 5, occurredAt: hour(2) });
  const high = await createEntry(user, {
    content: "a bright day",
    mood: 8,
    occurredAt: hour(3),
    tags: ["work"],
  });
  const noMood = await createEntry(user, { content: "no mood given", occurredAt: hour(4) });
  const pending = await createEntry(user, { content: "not analysed yet", mood: 8, occurredAt: hour(5) });
  await analysed(low, "negative");
  await analysed(mid, "neutral");
  await analysed(high, "positive");
  await analysed(noMood, "positive");
  return { low, mid, high, noMood, pending };
}

const ids = (entries: Entry[]) => entries.map((e) => e.id);

describe("GET /v1/entries?mood=&sentiment=", () => {
  it("filters by a mood, a mood range and a sentiment label, combined with the other filters", async () => {
    const user = await registerUser();
    const { low, mid, high, noMood, pending } = await seed(user);

    expect(ids(await listAll(user, "?mood=8"))).toEqual([pending.id, high.id]);
    expect(ids(await listAll(user, "?mood=2-5"))).toEqual([mid.id, low.id]);
    expect(ids(await listAll(user, "?mood=1-10"))).not.toContain(noMood.id);
    expect(ids(await listAll(user, "?sentiment=positive"))).toEqual([noMood.id, high.id]);
    expect(ids(await listAll(user, "?sentiment=negative"))).toEqual([low.id]);
    // A pending analysis has no sentiment yet, so no label matches it.
    for (const label of ["positive", "neutral", "negative"]) {
      expect(ids(await listAll(user, `?sentiment=${label}`))).not.toContain(pending.id);
    }
    expect(ids(await listAll(user, "?sentiment=positive&mood=6-10"))).toEqual([high.id]);
    expect(ids(await listAll(user, "?mood=1-9&tag=work"))).toEqual([high.id, low.id]);
    expect(ids(await listAll(user, "?sentiment=positive&to=2026-03-04T00:00:00Z"))).toEqual([high.id]);
  });

  it("pages a filtered list with the cursor without losing or repeating an entry", async () => {
    const user = await registerUser();
    const made: Entry[] = [];
    for (let day = 1; day <= 5; day++) {
      const entry = await createEntry(user, {
        content: `day ${day}`,
        mood: day % 2 === 0 ? 3 : 7,
        occurredAt: `2026-04-0${day}T08:00:00Z`,
      });
      await analysed(entry, day % 2 === 0 ? "negative" : "positive");
      made.push(entry);
    }
    const first = await json<{ items: Entry[]; nextCursor: string | null }>(
      await call("/v1/entries?sentiment=positive&mood=7&limit=2", { token: user.accessToken }),
      200,
    );
    expect(first.items.map((e) => e.content)).toEqual(["day 5", "day 3"]);
    const second = await json<{ items: Entry[]; nextCursor: string | null }>(
      await call(
        `/v1/entries?sentiment=positive&mood=7&limit=2&cursor=${encodeURIComponent(first.nextCursor ?? "")}`,
        { token: user.accessToken },
      ),
      200,
    );
    expect(second).toMatchObject({
      items: [expect.objectContaining({ content: "day 1" })],
      nextCursor: null,
    });
  });

  it("refuses a mood outside 1..10, a reversed range and an unknown sentiment, naming the parameter", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    for (const mood of ["0", "11", "7-3", "x", "3-", "-2", "2.5"]) {
      expect(await expectValidationPaths(await call(`/v1/entries?mood=${mood}`, { token: t }))).toContain(
        "mood",
      );
    }
    const res = await call("/v1/entries?sentiment=happy", { token: t });
    expect(await expectValidationPaths(res)).toContain("sentiment");
  });

  it("shows only the caller's entries, and needs entries:read", async () => {
    const a = await registerUser();
    const b = await registerUser();
    await seed(a);
    expect(await listAll(b, "?mood=1-10&sentiment=positive")).toEqual([]);
    const writeOnly = await createKey(a, ["entries:write", "ai"]);
    expect((await call("/v1/entries?mood=8", { token: writeOnly.key })).status).toBe(403);
  });
});
