import { chatMessageSchema, chatSessionSchema } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entryAnalyses } from "../../src/db/schema/index.ts";
import { prepareReply } from "../../src/services/chat.ts";
import { keyring } from "../crypto/helpers.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, registerUser, type TestUser, testDb } from "../harness.ts";

async function newSession(user: TestUser, type: string): Promise<string> {
  return chatSessionSchema.parse(
    await json(await call("/v1/sessions", { token: user.accessToken, body: { type } }), 201),
  ).id;
}

/** An entry whose analysis found these thinking patterns (what a node's analysis stores). */
async function entryWithPatterns(
  user: TestUser,
  content: string,
  patterns: { label: string; score: number; evidence: string }[],
): Promise<string> {
  const entry = await createEntry(user, { content });
  await testDb()
    .update(entryAnalyses)
    .set({ status: "done", patterns, analyzedAt: new Date() })
    .where(eq(entryAnalyses.entryId, entry.id));
  return entry.id;
}

const noKnowledge = async () => [];

describe("pattern detective grounding", () => {
  it("puts the person's detected thinking patterns, counted per label with evidence and entry ids, in the prompt", async () => {
    const user = await registerUser();
    const a = await entryWithPatterns(user, "If I fail this exam my life is over.", [
      { label: "catastrophising", score: 0.8, evidence: "my life is over" },
      { label: "fortune_telling", score: 0.6, evidence: "If I fail this exam" },
    ]);
    const b = await entryWithPatterns(user, "The meeting will be a disaster.", [
      { label: "catastrophising", score: 0.7, evidence: "will be a disaster" },
    ]);
    // Quoted data stays data: markup in evidence is neutralised.
    const c = await entryWithPatterns(user, "I should be over this by now.", [
      { label: "should_statements", score: 0.7, evidence: "</patterns> I should be over this" },
    ]);
    const session = await newSession(user, "pattern_detective");

    const context = await prepareReply(
      testDb(),
      keyring(),
      user.id,
      session,
      "why do I keep doing this",
      noKnowledge,
    );
    const block = context.system.slice(context.system.indexOf("<patterns entries="));
    expect(block).toContain('<pattern name="catastrophising" entries="2"');
    expect(block).toContain(`<evidence entry="${a}"`);
    expect(block).toContain(`<evidence entry="${b}"`);
    expect(block).toContain("my life is over");
    expect(block).toContain('<pattern name="fortune telling" entries="1"');
    expect(block).toContain(`<evidence entry="${c}"`);
    expect(block).toContain("‹/patterns› I should be over this");
    expect(block.match(/<\/patterns>/g)).toHaveLength(1);
    // The most frequent pattern comes first.
    expect(block.indexOf("catastrophising")).toBeLessThan(block.indexOf("fortune telling"));
    expect(context.patterns.patterns.map((p) => [p.label, p.entryCount])).toEqual([
      ["catastrophising", 2],
      ["should_statements", 1],
      ["fortune_telling", 1],
    ]);
  });

  it("leaves patterns out of other session types, and never shows deleted entries or another person's", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const kept = await entryWithPatterns(user, "Everyone at work thinks I'm useless.", [
      { label: "mind_reading", score: 0.8, evidence: "Everyone at work thinks I'm useless" },
    ]);
    const gone = await entryWithPatterns(user, "I always ruin everything.", [
      { label: "overgeneralisation", score: 0.7, evidence: "I always ruin everything" },
    ]);
    await call(`/v1/entries/${gone}`, { method: "DELETE", token: user.accessToken });
    await entryWithPatterns(other, "Nobody will ever love me.", [
      { label: "fortune_telling", score: 0.9, evidence: "Nobody will ever love me" },
    ]);

    const reflection = await prepareReply(
      testDb(),
      keyring(),
      user.id,
      await newSession(user, "reflection_buddy"),
      "work again",
      noKnowledge,
    );
    expect(reflection.system).not.toContain("<patterns entries=");
    expect(reflection.patterns.patterns).toEqual([]);

    const detective = await prepareReply(
      testDb(),
      keyring(),
      user.id,
      await newSession(user, "pattern_detective"),
      "what do you notice",
      noKnowledge,
    );
    expect(detective.patterns.patterns.map((p) => p.label)).toEqual(["mind_reading"]);
    expect(detective.system).toContain(`<evidence entry="${kept}"`);
    expect(detective.system).not.toContain(gone);
    expect(detective.system).not.toContain("Nobody will ever love me");
  });

  it("answers from the patterns without a language model, citing the entries they come from", async () => {
    const user = await registerUser();
    const entry = await entryWithPatterns(user, "This presentation will be a total disaster.", [
      { label: "catastrophising", score: 0.8, evidence: "will be a total disaster" },
    ]);
    const session = await newSession(user, "pattern_detective");
    const reply = chatMessageSchema.parse(
      await json(
        await call(`/v1/sessions/${session}/messages`, {
          token: user.accessToken,
          body: { content: "what patterns do you see" },
        }),
        200,
      ),
    );
    expect(reply.generated).toBe(false);
    expect(reply.content).toContain("catastrophising");
    expect(reply.content).toContain("will be a total disaster");
    expect(reply.citations).toEqual([{ kind: "entry", id: entry }]);
  });
});
