import { type ChatMessage, chatMessageSchema, chatSessionSchema } from "@inkwell/shared";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { MAX_REPLIES_PER_USER, replySlotsKey } from "../../src/lib/reply-slots.ts";
import { createEntry, json } from "../entries/helpers.ts";
import { call, createKey, edgeEnv, expectProblem, expectValidationPaths, registerUser } from "../harness.ts";
import { eventually } from "../pipeline/helpers.ts";
import { readEvents } from "./helpers.ts";

async function newSession(token: string, type = "reflection_buddy"): Promise<string> {
  return chatSessionSchema.parse(await json(await call("/v1/sessions", { token, body: { type } }), 201)).id;
}

/** Reads a whole SSE body into its events. */
describe("chat sessions", () => {
  it("lists the five session types with descriptions", async () => {
    const user = await registerUser();
    const body = await json<{ items: { type: string; description: string }[] }>(
      await call("/v1/sessions/types", { token: user.accessToken }),
      200,
    );
    expect(body.items.map((t) => t.type)).toEqual([
      "reflection_buddy",
      "inner_voice",
      "growth_challenge",
      "pattern_detective",
      "free_chat",
    ]);
    for (const t of body.items) expect(t.description.length).toBeGreaterThan(10);
  });

  it("pages the session types with limit and cursor, and refuses a cursor it did not issue", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    type TypesPage = { items: { type: string }[]; nextCursor: string | null };
    const first = await json<TypesPage>(await call("/v1/sessions/types?limit=2", { token: t }), 200);
    expect(first.items.map((i) => i.type)).toEqual(["reflection_buddy", "inner_voice"]);
    const second = await json<TypesPage>(
      await call(`/v1/sessions/types?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? "")}`, {
        token: t,
      }),
      200,
    );
    expect(second.items.map((i) => i.type)).toEqual(["growth_challenge", "pattern_detective"]);
    const third = await json<TypesPage>(
      await call(`/v1/sessions/types?limit=2&cursor=${encodeURIComponent(second.nextCursor ?? "")}`, {
        token: t,
      }),
      200,
    );
    expect(third).toEqual({ items: [expect.objectContaining({ type: "free_chat" })], nextCursor: null });
    const whole = await json<TypesPage>(await call("/v1/sessions/types", { token: t }), 200);
    expect(whole.nextCursor).toBeNull();
    expect(await expectValidationPaths(await call("/v1/sessions/types?limit=0", { token: t }))).toContain(
      "limit",
    );
    expect(
      await expectValidationPaths(await call("/v1/sessions/types?cursor=made.up", { token: t })),
    ).toContain("cursor");
  });

  it("creates, lists, renames and deletes a session; deleting removes its messages", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const id = await newSession(t, "free_chat");
    await json(
      await call(`/v1/sessions/${id}/messages`, { token: t, body: { content: "hello there" } }),
      200,
    );
    const list = await json<{ items: { id: string; messageCount: number }[] }>(
      await call("/v1/sessions", { token: t }),
      200,
    );
    expect(list.items).toEqual([expect.objectContaining({ id, messageCount: 2 })]);
    const renamed = await json<{ title: string }>(
      await call(`/v1/sessions/${id}`, { method: "PATCH", token: t, body: { title: "Sunday" } }),
      200,
    );
    expect(renamed.title).toBe("Sunday");
    expect((await call(`/v1/sessions/${id}`, { method: "DELETE", token: t })).status).toBe(204);
    await expectProblem(await call(`/v1/sessions/${id}/messages`, { token: t }), 404, "NOT_FOUND");
    await expectProblem(
      await call(`/v1/sessions/${id}/messages`, { token: t, body: { content: "anyone?" } }),
      404,
      "NOT_FOUND",
    );
  });

  it("refuses bad input: unknown type, empty or oversized message", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    expect(
      await expectValidationPaths(await call("/v1/sessions", { token: t, body: { type: "therapy" } })),
    ).toContain("type");
    const id = await newSession(t);
    expect(
      await expectValidationPaths(
        await call(`/v1/sessions/${id}/messages`, { token: t, body: { content: "  " } }),
      ),
    ).toContain("content");
    await expectProblem(
      await call(`/v1/sessions/${id}/messages`, { token: t, body: { content: "x".repeat(100 * 1024) } }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
  });
});

describe("messages without a language model", () => {
  it("answers generated:false from the journal, citing only entries it was given", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const entry = await createEntry(user, {
      title: "Deadline",
      content: "The deadline at work kept me up all night.",
    });
    await createEntry(user, { content: "Planted tomatoes." });
    const id = await newSession(t);
    const reply = chatMessageSchema.parse(
      await json(
        await call(`/v1/sessions/${id}/messages`, { token: t, body: { content: "work deadline stress" } }),
        200,
      ),
    );
    expect(reply).toMatchObject({ role: "assistant", generated: false, status: "complete", model: null });
    expect(reply.citations).toEqual([{ kind: "entry", id: entry.id }]);
    expect(reply.content).toContain("No language model is available");
    const history = await json<{ items: ChatMessage[] }>(
      await call(`/v1/sessions/${id}/messages`, { token: t }),
      200,
    );
    expect(history.items.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(history.items[0]?.content).toBe("work deadline stress");
  });

  it("streams token events and one done event carrying the stored message", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const id = await newSession(t);
    const res = await call(`/v1/sessions/${id}/messages`, {
      token: t,
      body: { content: "how was my week" },
      headers: { Accept: "text/event-stream" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/event-stream");
    const events = await readEvents(res);
    expect(events.filter((e) => e.event === "token").length).toBeGreaterThan(0);
    const done = events.filter((e) => e.event === "done");
    expect(done).toHaveLength(1);
    const message = chatMessageSchema.parse(JSON.parse(done[0]?.data ?? "{}"));
    const streamed = events
      .filter((e) => e.event === "token")
      .map((e) => (JSON.parse(e.data) as { text: string }).text)
      .join("");
    expect(message.content).toBe(streamed);
  });

  it("caps a user's replies in flight: a fourth is 429, and a finished stream frees its slot", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const id = await newSession(t);
    const redis = new Redis({
      url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
      token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    });
    const key = replySlotsKey(user.id);
    // As if this user had three streams open already.
    const now = Date.now();
    for (let i = 0; i < MAX_REPLIES_PER_USER; i++) {
      await redis.zadd(key, { score: now, member: `open-${i}` });
    }
    const send = () =>
      call(`/v1/sessions/${id}/messages`, {
        token: t,
        body: { content: "one more" },
        headers: { Accept: "text/event-stream" },
      });
    const refused = await send();
    await expectProblem(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("Retry-After")).toBeTruthy();
    // Another user is not affected.
    const other = await registerUser();
    const otherSession = await newSession(other.accessToken);
    expect(
      (
        await call(`/v1/sessions/${otherSession}/messages`, {
          token: other.accessToken,
          body: { content: "hi" },
        })
      ).status,
    ).toBe(200);

    await redis.zrem(key, "open-0");
    const res = await send();
    expect(res.status).toBe(200);
    await readEvents(res);
    await eventually(async () => ((await redis.zcard(key)) === MAX_REPLIES_PER_USER - 1 ? true : undefined));
  });

  it("attaches crisis resources to a crisis message, whatever else happens", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const id = await newSession(t, "growth_challenge");
    const reply = chatMessageSchema.parse(
      await json(
        await call(`/v1/sessions/${id}/messages`, {
          token: t,
          body: { content: "I want to kill myself tonight" },
        }),
        200,
      ),
    );
    expect(["high", "critical"]).toContain(reply.safety.level);
    expect(reply.safety.resources?.length).toBeGreaterThan(0);
    expect(reply.citations).toEqual([]);
  });
});

describe("sessions security", () => {
  it("another user's session answers 404 on every route; no token 401; a key without ai 403", async () => {
    const owner = await registerUser();
    const intruder = await registerUser();
    const id = await newSession(owner.accessToken);
    for (const [path, options] of [
      [`/v1/sessions/${id}`, {}],
      [`/v1/sessions/${id}`, { method: "PATCH", body: { title: "mine" } }],
      [`/v1/sessions/${id}`, { method: "DELETE" }],
      [`/v1/sessions/${id}/messages`, {}],
      [`/v1/sessions/${id}/messages`, { body: { content: "hi" } }],
    ] as const) {
      await expectProblem(await call(path, { ...options, token: intruder.accessToken }), 404, "NOT_FOUND");
      await expectProblem(await call(path, options), 401, "UNAUTHENTICATED");
    }
    const key = await createKey(owner, ["entries:read"]);
    await expectProblem(await call("/v1/sessions", { token: key.key }), 403, "FORBIDDEN");
    const list = await json<{ items: unknown[] }>(
      await call("/v1/sessions", { token: intruder.accessToken }),
      200,
    );
    expect(list.items).toEqual([]);
  });
});
