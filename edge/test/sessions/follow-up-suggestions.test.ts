import { CHAT_SUGGESTIONS_MAX, chatMessageSchema, chatSuggestionsEventSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { CRISIS_SUGGESTIONS, followUpSuggestions } from "../../src/services/chat-suggestions.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, registerUser } from "../harness.ts";
import { readEvents, sessionMessages, startSession } from "./helpers.ts";

describe("follow-up suggestions", () => {
  it("come with a JSON reply and are stored with it", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    await createEntry(user, { title: "Deadline", content: "The deadline at work kept me up all night." });
    const { id } = await startSession(t, { type: "growth_challenge" });
    const reply = chatMessageSchema.parse(
      await json(
        await call(`/v1/sessions/${id}/messages`, { token: t, body: { content: "work deadline" } }),
        200,
      ),
    );
    expect(reply.suggestions.length).toBeGreaterThanOrEqual(2);
    expect(reply.suggestions.length).toBeLessThanOrEqual(CHAT_SUGGESTIONS_MAX);
    for (const q of reply.suggestions) expect(q).toMatch(/\?$/);
    // The reply cited the entry: one question leads back to it.
    expect(reply.suggestions).toContain("What else was going on when I wrote that entry?");
    const stored = await sessionMessages(t, id);
    expect(stored.find((m) => m.id === reply.id)?.suggestions).toEqual(reply.suggestions);
    // The writer's own message carries none.
    expect(stored.find((m) => m.role === "user")?.suggestions).toEqual([]);
  });

  it("come in a streamed reply as a suggestions event just before done, matching the stored message", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const { id } = await startSession(t, { type: "inner_voice" });
    const res = await call(`/v1/sessions/${id}/messages`, {
      token: t,
      body: { content: "my inner critic is loud about my painting" },
      headers: { Accept: "text/event-stream" },
    });
    expect(res.status).toBe(200);
    const events = await readEvents(res);
    // `done` stays the last event: clients stop reading there.
    expect(events.at(-1)?.event).toBe("done");
    expect(events.at(-2)?.event).toBe("suggestions");
    const done = chatMessageSchema.parse(JSON.parse(events.at(-1)?.data ?? "{}"));
    const last = chatSuggestionsEventSchema.parse(JSON.parse(events.at(-2)?.data ?? "{}"));
    expect(last.messageId).toBe(done.id);
    expect(last.suggestions).toEqual(done.suggestions);
    expect(last.suggestions.length).toBeGreaterThanOrEqual(2);
    const stored = await sessionMessages(t, id);
    expect(stored.find((m) => m.id === done.id)?.suggestions).toEqual(last.suggestions);
  });

  it("offer only ways toward support after a crisis message", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const { id } = await startSession(t, { type: "growth_challenge" });
    const reply = chatMessageSchema.parse(
      await json(
        await call(`/v1/sessions/${id}/messages`, {
          token: t,
          body: { content: "I want to kill myself tonight" },
        }),
        200,
      ),
    );
    expect(reply.suggestions).toEqual([...CRISIS_SUGGESTIONS]);
  });

  it("are built from the session type and the reply's own subject", () => {
    const base = {
      reply: "Your garden seems to calm you; the garden shows up whenever work is heavy.",
      userMessage: "why do I garden",
      generated: true,
      crisis: false,
      citedEntry: false,
      citedKnowledge: true,
      usedPatterns: false,
      seed: "0190",
    };
    const growth = followUpSuggestions({ ...base, type: "growth_challenge" });
    expect(growth[0]).toBe("What have I written about garden before?");
    expect(growth).toContain("How could I try this technique this week?");
    expect(growth).toHaveLength(3);
    const detective = followUpSuggestions({ ...base, type: "pattern_detective", usedPatterns: true });
    expect(detective).toContain("Where else does this pattern show up in my entries?");
    expect(new Set(detective).size).toBe(detective.length);
    // Citation markers never become the subject of a question.
    const marked = followUpSuggestions({
      ...base,
      type: "free_chat",
      reply: "[entry:0190a1b2-0000-7000-8000-000000000000] [kb:cbt-1]",
      citedKnowledge: false,
    });
    expect(marked.join(" ")).not.toContain("0190a1b2");
    expect(marked.length).toBeGreaterThanOrEqual(2);
  });
});
