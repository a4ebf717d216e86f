import { SELF } from "cloudflare:test";
import { type ChatSession, chatMessageSchema, chatSessionSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { createInkwellClient } from "../../src/client.ts";
import {
  cleanModelSummary,
  composeSummary,
  extractiveSummary,
  type SummaryTurn,
} from "../../src/services/chat-summary.ts";
import { endSession } from "../../src/services/session-lifecycle.ts";
import { keyring } from "../crypto/helpers.ts";
import { json } from "../entries/helpers.ts";
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
import { startSession } from "./helpers.ts";

const post = (token: string, path: string, headers: Record<string, string> = {}) =>
  call(path, { method: "POST", token, headers });

async function send(token: string, id: string, content: string): Promise<Response> {
  return await call(`/v1/sessions/${id}/messages`, { token, body: { content } });
}

async function session(token: string, id: string): Promise<ChatSession> {
  return chatSessionSchema.parse(await json(await call(`/v1/sessions/${id}`, { token }), 200));
}

describe("pausing and resuming a session", () => {
  it("refuses messages while paused (409, streamed or not) and takes them again once resumed", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const { id, status } = await startSession(t, { type: "free_chat" });
    expect(status).toBe("active");
    expect((await send(t, id, "before the pause")).status).toBe(200);

    const paused = chatSessionSchema.parse(await json(await post(t, `/v1/sessions/${id}/pause`), 200));
    expect(paused).toMatchObject({ id, status: "paused", endedAt: null, summary: null, messageCount: 2 });
    expect(paused.pausedAt).not.toBeNull();
    // Pausing again changes nothing.
    expect(chatSessionSchema.parse(await json(await post(t, `/v1/sessions/${id}/pause`), 200)).pausedAt).toBe(
      paused.pausedAt,
    );

    const refused = await expectProblem(await send(t, id, "while paused"), 409, "CONFLICT");
    expect(refused.detail).toContain("paused");
    await expectProblem(
      await call(`/v1/sessions/${id}/messages`, {
        token: t,
        body: { content: "streamed while paused" },
        headers: { Accept: "text/event-stream" },
      }),
      409,
      "CONFLICT",
    );
    // The refused messages were not stored.
    expect((await session(t, id)).messageCount).toBe(2);

    const resumed = chatSessionSchema.parse(await json(await post(t, `/v1/sessions/${id}/resume`), 200));
    expect(resumed).toMatchObject({ status: "active", pausedAt: null });
    // Resuming an active session changes nothing.
    expect(chatSessionSchema.parse(await json(await post(t, `/v1/sessions/${id}/resume`), 200)).status).toBe(
      "active",
    );
    const reply = chatMessageSchema.parse(await json(await send(t, id, "after the pause"), 200));
    expect(reply.role).toBe("assistant");
    expect((await session(t, id)).messageCount).toBe(4);
  });
});

describe("ending a session", () => {
  it("stores a summary of the writer's own topics when no model answers, shows it and exports it", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const { id } = await startSession(t, { type: "reflection_buddy" });
    await json(await send(t, id, "My garden keeps me calm when work gets heavy."), 200);
    await json(await send(t, id, "The garden again, and the tomatoes; work was heavy this week."), 200);

    const ended = chatSessionSchema.parse(await json(await post(t, `/v1/sessions/${id}/end`), 200));
    expect(ended.status).toBe("ended");
    expect(ended.endedAt).not.toBeNull();
    expect(ended.summary).toMatchObject({ generated: false, model: null });
    expect(ended.summary?.topics).toContain("garden");
    expect(ended.summary?.text).toMatch(
      /^You wrote 2 messages in this reflection buddy conversation, about /,
    );
    for (const topic of ended.summary?.topics ?? []) expect(ended.summary?.text).toContain(topic);

    // Shown by GET, unchanged by ending again.
    expect(await session(t, id)).toEqual(ended);
    expect(chatSessionSchema.parse(await json(await post(t, `/v1/sessions/${id}/end`), 200))).toEqual(ended);

    // Closed for good: no message, no pause, no resume.
    expect((await expectProblem(await send(t, id, "one more"), 409, "CONFLICT")).detail).toContain("ended");
    await expectProblem(await post(t, `/v1/sessions/${id}/pause`), 409, "CONFLICT");
    await expectProblem(await post(t, `/v1/sessions/${id}/resume`), 409, "CONFLICT");
    // Renaming still works.
    expect(
      (await call(`/v1/sessions/${id}`, { method: "PATCH", token: t, body: { title: "Garden talk" } }))
        .status,
    ).toBe(200);

    const doc = await json<{ sessions: (ChatSession & { messages: unknown[] })[] }>(
      await call("/v1/me/export?format=json", { token: t }),
      200,
    );
    const exported = doc.sessions.find((s) => s.id === id);
    expect(exported).toMatchObject({ status: "ended", summary: ended.summary, endedAt: ended.endedAt });
    expect(exported?.messages).toHaveLength(4);
    const md = await (await call("/v1/me/export?format=markdown", { token: t })).text();
    expect(md).toContain(
      `**Summary (from your own topics, without a language model):** ${ended.summary?.text}`,
    );
  });

  it("keeps a model's summary when a node writes one", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const { id } = await startSession(t, { type: "growth_challenge" });
    await json(await send(t, id, "I want to start running again."), 200);
    const ended = await endSession(testDb(), keyring(), user.id, id, async (prompt) => {
      // The conversation reaches the model only as quoted data.
      expect(prompt.messages.at(-1)?.content).toContain("<conversation>");
      expect(prompt.system).toContain("never an instruction");
      return { text: "You talked about starting to run again [entry:x].", model: "ollama:tiny" };
    });
    expect(ended.summary).toMatchObject({
      text: "You talked about starting to run again.",
      generated: true,
      model: "ollama:tiny",
    });
    expect((await session(t, id)).summary?.generated).toBe(true);
  });

  it("a session that touched on crisis is summarised without a model, gently", async () => {
    const turns: SummaryTurn[] = [
      { role: "user", content: "I want to kill myself tonight", crisis: true, citedEntries: [] },
      { role: "assistant", content: "You deserve support right now.", crisis: false, citedEntries: [] },
    ];
    let asked = false;
    const summary = await composeSummary(
      "free_chat",
      turns,
      async () => {
        asked = true;
        return { text: "A cheerful summary of a fun chat.", model: "ollama:tiny" };
      },
      new Date(),
    );
    expect(asked).toBe(false);
    expect(summary.generated).toBe(false);
    expect(summary.text).toContain("support lines");
    expect(extractiveSummary("free_chat", [])).toBe(
      "This conversation ended before anything was written in it.",
    );
    expect(cleanModelSummary("  ok ")).toBeUndefined();
    expect(cleanModelSummary(`${"A long sentence about the week. ".repeat(60)}`)?.length).toBeLessThanOrEqual(
      1200,
    );
  });
});

describe("pause, resume and end: who may", () => {
  it("another user's session is 404, no token 401, a key without ai 403, a key with ai works", async () => {
    const owner = await registerUser();
    const intruder = await registerUser();
    const { id } = await startSession(owner.accessToken);
    for (const action of ["pause", "resume", "end"]) {
      const path = `/v1/sessions/${id}/${action}`;
      await expectProblem(await post(intruder.accessToken, path), 404, "NOT_FOUND");
      await expectProblem(await call(path, { method: "POST" }), 401, "UNAUTHENTICATED");
      const weak = await createKey(owner, ["entries:read", "entries:write"]);
      await expectProblem(await post(weak.key, path), 403, "FORBIDDEN");
    }
    expect((await session(owner.accessToken, id)).status).toBe("active");
    const key = await createKey(owner, ["ai"]);
    expect((await post(key.key, `/v1/sessions/${id}/pause`)).status).toBe(200);
    // Unknown and malformed ids are 404; an id longer than the schema allows is 400.
    await expectProblem(
      await post(owner.accessToken, `/v1/sessions/${crypto.randomUUID()}/end`),
      404,
      "NOT_FOUND",
    );
    await expectProblem(await post(owner.accessToken, "/v1/sessions/not-a-session/pause"), 404, "NOT_FOUND");
    expect(
      await expectValidationPaths(await post(owner.accessToken, `/v1/sessions/${"x".repeat(65)}/end`)),
    ).toContain("id");
  });

  it("an Idempotency-Key replays the first end; the typed client reaches every action", async () => {
    const user: TestUser = await registerUser();
    const { id } = await startSession(user.accessToken, { type: "free_chat" });
    const first = await post(user.accessToken, `/v1/sessions/${id}/end`, { "Idempotency-Key": "end-1" });
    const again = await post(user.accessToken, `/v1/sessions/${id}/end`, { "Idempotency-Key": "end-1" });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());

    const ip = randomIp();
    const api = createInkwellClient(BASE_URL, {
      token: user.accessToken,
      fetch: (input, init) => {
        const request = new Request(input, init);
        request.headers.set("CF-Connecting-IP", ip);
        return SELF.fetch(request);
      },
    });
    const other = await startSession(user.accessToken, { type: "inner_voice" });
    const paused = await api.v1.sessions[":id"].pause.$post({ param: { id: other.id } });
    if (paused.status !== 200) throw new Error(`status ${paused.status}`);
    expect((await paused.json()).status).toBe("paused");
    const resumed = await api.v1.sessions[":id"].resume.$post({ param: { id: other.id } });
    if (resumed.status !== 200) throw new Error(`status ${resumed.status}`);
    expect((await resumed.json()).status).toBe("active");
    const ended = await api.v1.sessions[":id"].end.$post({ param: { id: other.id } });
    if (ended.status !== 200) throw new Error(`status ${ended.status}`);
    expect((await ended.json()).summary?.text).toBe(
      "This conversation ended before anything was written in it.",
    );
    expect((await api.v1.sessions[":id"].resume.$post({ param: { id } })).status).toBe(409);
  });
});
