import { createdSessionSchema } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entries, entryAnalyses } from "../../src/db/schema/index.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, expectValidationPaths, registerUser, type TestUser, testDb } from "../harness.ts";
import { sessionMessages } from "./helpers.ts";

async function start(user: TestUser, body: Record<string, unknown>) {
  return createdSessionSchema.parse(
    await json(await call("/v1/sessions", { token: user.accessToken, body }), 201),
  );
}

/** What the analysis job would have written for the entry's current text. */
async function analysed(
  entryId: string,
  values: { keywords?: string[]; safetyLevel?: "none" | "moderate" | "high" | "critical" },
) {
  await testDb()
    .update(entryAnalyses)
    .set({ status: "done", analyzedAt: new Date(), ...values })
    .where(eq(entryAnalyses.entryId, entryId));
}

describe("session greetings", () => {
  it("greet a writer with no entries by what the session type is for, as the first stored message", async () => {
    const user = await registerUser();
    const session = await start(user, { type: "growth_challenge", greeting: true });
    expect(session.messageCount).toBe(1);
    expect(session.lastMessageAt).not.toBeNull();
    const greeting = session.greeting;
    expect(greeting).toMatchObject({
      sessionId: session.id,
      role: "assistant",
      kind: "greeting",
      generated: false,
      model: null,
      status: "complete",
      citations: [],
      safety: { level: "none" },
    });
    expect(greeting?.content).toContain("one small, concrete step");
    expect(greeting?.content).not.toContain("welcome back");
    const stored = await sessionMessages(user.accessToken, session.id);
    expect(stored).toEqual([greeting]);

    // The conversation goes on after it; the reply is the second assistant message.
    await json(
      await call(`/v1/sessions/${session.id}/messages`, { token: user.accessToken, body: { content: "hi" } }),
      200,
    );
    expect((await sessionMessages(user.accessToken, session.id)).map((m) => [m.role, m.kind])).toEqual([
      ["assistant", "greeting"],
      ["user", "message"],
      ["assistant", "message"],
    ]);
  });

  it("mention the latest entry by its title only, never its text", async () => {
    const user = await registerUser();
    await createEntry(user, {
      title: "An older day",
      content: "older-body-marker",
      occurredAt: "2026-01-01T10:00:00Z",
    });
    await createEntry(user, {
      title: "Sunday at the lake",
      content: "latest-body-marker: we swam and I felt free.",
      occurredAt: "2026-02-01T10:00:00Z",
    });
    const session = await start(user, { type: "reflection_buddy", greeting: true });
    const text = session.greeting?.content ?? "";
    expect(text).toContain("Your latest entry was “Sunday at the lake”.");
    expect(text).not.toContain("marker");
    expect(text).not.toContain("An older day");
  });

  it("name two keywords of an untitled latest entry's analysis", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "keyword-body-marker about the plot and the beans." });
    await analysed(entry.id, { keywords: ["garden", "tomatoes", "neighbours"], safetyLevel: "none" });
    const session = await start(user, { type: "inner_voice", greeting: true });
    expect(session.greeting?.content).toContain("Your latest entry touched on garden and tomatoes.");
    expect(session.greeting?.content).not.toContain("marker");
    // A keyword of an earlier text of the entry no longer describes it.
    await testDb().update(entries).set({ contentVersion: 2 }).where(eq(entries.id, entry.id));
    const again = await start(user, { type: "inner_voice", greeting: true });
    expect(again.greeting?.content).not.toContain("garden");
  });

  it("turn into a quiet check-in with crisis resources after a recent entry read at high risk", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { title: "Tonight", content: "crisis-body-marker" });
    await analysed(entry.id, { keywords: ["tonight"], safetyLevel: "high" });
    await createEntry(user, { title: "A calmer note", content: "later and calmer" });
    const session = await start(user, { type: "growth_challenge", greeting: true });
    const greeting = session.greeting;
    expect(greeting?.safety.level).toBe("high");
    expect(greeting?.safety.resources?.length).toBeGreaterThan(0);
    expect(greeting?.content).toContain("crisis lines");
    expect(greeting?.content).not.toContain("!");
    expect(greeting?.content).not.toContain("A calmer note");
    expect(greeting?.content).not.toContain("small step");
  });

  it("stay gentle after a recent entry read at moderate risk", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { title: "Rough week", content: "moderate-body-marker" });
    await analysed(entry.id, { safetyLevel: "moderate" });
    const session = await start(user, { type: "free_chat", greeting: true });
    expect(session.greeting?.content).toContain("we can take this at your pace");
    expect(session.greeting?.content).not.toContain("Rough week");
    expect(session.greeting?.safety).toEqual({ level: "none" });
  });

  it("are left out unless asked for, and the flag is validated", async () => {
    const user = await registerUser();
    const plain = await start(user, { type: "free_chat" });
    expect(plain.greeting).toBeNull();
    expect(plain.messageCount).toBe(0);
    expect(await sessionMessages(user.accessToken, plain.id)).toEqual([]);
    expect((await start(user, { type: "free_chat", greeting: false })).greeting).toBeNull();
    expect(
      await expectValidationPaths(
        await call("/v1/sessions", { token: user.accessToken, body: { type: "free_chat", greeting: "yes" } }),
      ),
    ).toContain("greeting");
  });

  it("are not what an ended session's summary or the export takes for the conversation", async () => {
    const user = await registerUser();
    const session = await start(user, { type: "pattern_detective", greeting: true });
    const ended = await json<{ summary: { text: string } }>(
      await call(`/v1/sessions/${session.id}/end`, { method: "POST", token: user.accessToken }),
      200,
    );
    expect(ended.summary.text).toBe("This conversation ended before anything was written in it.");
    const md = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(md).toMatch(/\*\*Inkwell\*\* · [\d-]+ [\d:]+ · \*greeting\*/);
  });
});
