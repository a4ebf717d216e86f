import { HYBRID_FUSION, queryKind } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { keywordSearch } from "../../src/services/keyword-search.ts";
import { call, expectProblem, expectValidationPaths, registerUser, testDb } from "../harness.ts";
import { createEntry, createTopic, json } from "./helpers.ts";

describe("topics", () => {
  it("create, rename, list its entries, refuse a duplicate name, delete", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const topic = await createTopic(user, "Grief");
    expect(topic).toMatchObject({ kind: "user", entryCount: 0, trend: { direction: "flat" } });
    await expectProblem(await call("/v1/topics", { token: t, body: { name: "grief" } }), 409, "CONFLICT");
    expect(
      await expectValidationPaths(await call("/v1/topics", { token: t, body: { name: "x", color: "red" } })),
    ).toContain("color");
    const renamed = await json<{ name: string }>(
      await call(`/v1/topics/${topic.id}`, { method: "PATCH", token: t, body: { name: "Loss" } }),
      200,
    );
    expect(renamed.name).toBe("Loss");
    const entry = await createEntry(user, { content: "missing grandma", topicIds: [topic.id] });
    const page = await json<{ items: { id: string }[] }>(
      await call(`/v1/topics/${topic.id}/entries`, { token: t }),
      200,
    );
    expect(page.items.map((e) => e.id)).toEqual([entry.id]);
    expect((await call(`/v1/topics/${topic.id}`, { method: "DELETE", token: t })).status).toBe(204);
    const after = await json<{ topicIds: string[] }>(
      await call(`/v1/entries/${entry.id}`, { token: t }),
      200,
    );
    expect(after.topicIds).toEqual([]);
  });
});

describe("GET /v1/search", () => {
  it("answers snippets as safe HTML: the entry's markup escaped, only <mark> added", async () => {
    const user = await registerUser();
    const hostile =
      'Dear diary <script>alert("x")</script> my anxiety, 5 <6 & "quoted" \'too\' <img src=x onerror=alert(1)> ' +
      "<mark>forged</mark> \uE000forged\uE001 and anxiety again.";
    const entry = await createEntry(user, { content: hostile });
    for (const mode of ["keyword", "hybrid", "semantic"]) {
      const page = await json<{ items: { entry: { id: string; snippet: string } }[] }>(
        await call(`/v1/search?q=anxiety&mode=${mode}`, { token: user.accessToken }),
        200,
      );
      const snippet = page.items.find((i) => i.entry.id === entry.id)?.entry.snippet ?? "";
      expect(snippet).toContain("<mark>anxiety</mark>");
      expect(snippet).toContain("5 &lt;6 &amp; &quot;quoted&quot; &#39;too&#39;");
      // Nothing but <mark> is markup, and only the two real matches are marked.
      expect(snippet).not.toMatch(/<(?!\/?mark>)/);
      expect(snippet).not.toMatch(/[\uE000\uE001]/);
      expect(snippet.match(/<mark>/g)?.length).toBe(2);
    }
  });

  it("finds by keyword and by a typo, highlights, and never returns deleted entries", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const anxious = await createEntry(user, {
      title: "Before the exam",
      content: "My anxiety was through the roof today.",
    });
    await createEntry(user, { content: "Planted tomatoes in the garden." });
    const gone = await createEntry(user, { content: "Anxiety again, but this one I deleted." });
    await call(`/v1/entries/${gone.id}`, { method: "DELETE", token: t });

    const exact = await json<{
      items: { entry: { id: string; snippet: string } }[];
      degraded: boolean;
      mode: string;
    }>(await call("/v1/search?q=anxiety&mode=keyword", { token: t }), 200);
    expect(exact.mode).toBe("keyword");
    expect(exact.degraded).toBe(false);
    expect(exact.items.map((i) => i.entry.id)).toEqual([anxious.id]);
    expect(exact.items[0]?.entry.snippet).toContain("<mark>anxiety</mark>");

    const typo = await json<{ items: { entry: { id: string } }[] }>(
      await call("/v1/search?q=anxeity&mode=keyword", { token: t }),
      200,
    );
    expect(typo.items.map((i) => i.entry.id)).toEqual([anxious.id]);

    const semantic = await json<{ degraded: boolean; items: unknown[] }>(
      await call("/v1/search?q=anxiety", { token: t }),
      200,
    );
    expect(semantic.degraded).toBe(true);
    expect(semantic.items).toHaveLength(1);
    expect(await expectValidationPaths(await call("/v1/search?q=", { token: t }))).toContain("q");
  });
});

describe("hybrid search's keyword side", () => {
  it("reads a query written as a sentence as any of its words, ranked by how many an entry holds", async () => {
    const user = await registerUser();
    const both = await createEntry(user, {
      content: "Long run by the river this morning, my knee ached on the hills.",
    });
    const one = await createEntry(user, { content: "The river was high after the storm." });
    await createEntry(user, { content: "Baked bread with Sam; the crust came out perfect." });
    const other = await registerUser();
    await createEntry(other, { content: "A run by the river with a sore knee." });

    const q = "that time my knee hurt on a run along the river";
    expect(queryKind(q)).toBe("sentence");
    expect(HYBRID_FUSION.sentence.keywordMatch).toBe("any");
    const db = testDb();
    const any = await keywordSearch(db, user.id, { q, limit: 10, match: "any" });
    expect(any.map((h) => h.id)).toEqual([both.id, one.id]);
    expect(any[0]?.snippet).toContain("<mark>");
    // A query of stop words alone reads as keyword mode reads it (only the typo fallback can match).
    const stopWords = "that it was on the";
    expect(await keywordSearch(db, user.id, { q: stopWords, limit: 10, match: "any" })).toEqual(
      await keywordSearch(db, user.id, { q: stopWords, limit: 10, match: "all" }),
    );
  });
});
