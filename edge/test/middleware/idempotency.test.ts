import {
  apiKeySchema,
  type ChatMessage,
  chatMessageSchema,
  chatSessionSchema,
  pageSchema,
} from "@inkwell/shared";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { serverSentEvents } from "../../src/client.ts";
import {
  CREDENTIAL_ISSUING_POSTS,
  idempotencyFingerprint,
  idempotencyRecordKey,
} from "../../src/middleware/idempotency.ts";
import { json } from "../entries/helpers.ts";
import { call, edgeEnv, expectProblem, registerUser, type TestUser } from "../harness.ts";

const sessionPage = pageSchema(chatSessionSchema);

function post(
  user: TestUser,
  path: string,
  body: unknown,
  key: string,
  headers: Record<string, string> = {},
) {
  return call(path, { token: user.accessToken, body, headers: { "Idempotency-Key": key, ...headers } });
}

async function newSession(user: TestUser): Promise<string> {
  return chatSessionSchema.parse(
    await json(await call("/v1/sessions", { token: user.accessToken, body: { type: "free_chat" } }), 201),
  ).id;
}

async function messages(user: TestUser, sessionId: string): Promise<ChatMessage[]> {
  const page = await json<{ items: ChatMessage[] }>(
    await call(`/v1/sessions/${sessionId}/messages`, { token: user.accessToken }),
    200,
  );
  return page.items;
}

/** The `done` event of an SSE body: the stored assistant message. */
function doneMessage(sse: string): ChatMessage {
  const data = serverSentEvents(sse).find((e) => e.event === "done")?.data;
  return chatMessageSchema.parse(JSON.parse(data ?? "{}"));
}

describe.concurrent("Idempotency-Key on every authenticated POST", () => {
  it("replays a session creation and creates one session", async () => {
    const user = await registerUser();
    const key = `idem-${crypto.randomUUID()}`;
    const body = { type: "free_chat" };
    const first = await post(user, "/v1/sessions", body, key);
    const created = chatSessionSchema.parse(await json(first, 201));
    const again = await post(user, "/v1/sessions", body, key);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(chatSessionSchema.parse(await json(again, 201))).toEqual(created);
    const listed = sessionPage.parse(
      await json(await call("/v1/sessions", { token: user.accessToken }), 200),
    );
    expect(listed.items.map((s) => s.id)).toEqual([created.id]);
  });

  it("answers a retried chat message with the stored reply, without a second reply", async () => {
    const user = await registerUser();
    const sessionId = await newSession(user);
    const key = `idem-${crypto.randomUUID()}`;
    const path = `/v1/sessions/${sessionId}/messages`;
    const reply = chatMessageSchema.parse(await json(await post(user, path, { content: "hello" }, key), 200));
    const again = await post(user, path, { content: "hello" }, key);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(chatMessageSchema.parse(await json(again, 200)).id).toBe(reply.id);
    expect((await messages(user, sessionId)).map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("replays a finished streamed reply as its events, without a second reply", async () => {
    const user = await registerUser();
    const sessionId = await newSession(user);
    const key = `idem-${crypto.randomUUID()}`;
    const path = `/v1/sessions/${sessionId}/messages`;
    const accept = { Accept: "text/event-stream" };
    const first = await post(user, path, { content: "how was my week" }, key, accept);
    expect(first.headers.get("Content-Type")).toContain("text/event-stream");
    const firstEvents = await first.text();
    const again = await post(user, path, { content: "how was my week" }, key, accept);
    expect(again.status).toBe(200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.headers.get("Content-Type")).toContain("text/event-stream");
    const replayed = await again.text();
    expect(replayed).toBe(firstEvents);
    const stored = await messages(user, sessionId);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(doneMessage(replayed).id).toBe(stored[1]?.id);
  });

  it("answers 409 to a retry while the first is still running, and runs nothing", async () => {
    const user = await registerUser();
    const sessionId = await newSession(user);
    const key = `idem-${crypto.randomUUID()}`;
    const path = `/v1/sessions/${sessionId}/messages`;
    const body = JSON.stringify({ content: "still thinking" });
    // The record a streaming first request holds until its stream ends.
    const redis = new Redis({
      url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
      token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    });
    await redis.set(
      await idempotencyRecordKey(user.id, "POST", path, key),
      JSON.stringify({
        state: "pending",
        fingerprint: await idempotencyFingerprint(edgeEnv.JWT_SECRET ?? "", "POST", path, body),
      }),
      { ex: 60 },
    );
    const retry = await post(user, path, body, key, { Accept: "text/event-stream" });
    expect(retry.headers.get("Retry-After")).toBe("1");
    const problem = await expectProblem(retry, 409, "CONFLICT");
    expect(problem.detail).toMatch(/still being processed/);
    expect(await messages(user, sessionId)).toEqual([]);
  });

  it("refuses the same key with another body, as entries do", async () => {
    const user = await registerUser();
    const key = `idem-${crypto.randomUUID()}`;
    await json(await post(user, "/v1/sessions", { type: "free_chat" }, key), 201);
    const problem = await expectProblem(
      await post(user, "/v1/sessions", { type: "inner_voice" }, key),
      409,
      "CONFLICT",
    );
    expect(problem.detail).toMatch(/different request body/);
    const sessionId = await newSession(user);
    const path = `/v1/sessions/${sessionId}/messages`;
    await json(await post(user, path, { content: "first" }, `msg-${key}`), 200);
    await expectProblem(await post(user, path, { content: "second" }, `msg-${key}`), 409, "CONFLICT");
    expect(await messages(user, sessionId)).toHaveLength(2);
  });

  it("keeps keys per user and per route", async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const key = `shared-${crypto.randomUUID()}`;
    const body = { type: "free_chat" };
    const hers = chatSessionSchema.parse(await json(await post(alice, "/v1/sessions", body, key), 201));
    const hisRes = await post(bob, "/v1/sessions", body, key);
    expect(hisRes.headers.get("Idempotent-Replayed")).toBeNull();
    const his = chatSessionSchema.parse(await json(hisRes, 201));
    expect(his.id).not.toBe(hers.id);
    // The same key on another route is another request.
    const topic = await post(alice, "/v1/topics", { name: "Sleep" }, key);
    expect(topic.status).toBe(201);
    expect(topic.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("never stores an answer that hands out a credential: a retried API-key create runs again", async () => {
    const user = await registerUser();
    const key = `idem-${crypto.randomUUID()}`;
    const body = { name: "retried", scopes: ["entries:read"] };
    const first = await json<{ id: string; key: string }>(await post(user, "/v1/api-keys", body, key), 201);
    const again = await json<{ id: string; key: string }>(await post(user, "/v1/api-keys", body, key), 201);
    expect(again.id).not.toBe(first.id);
    const redis = new Redis({
      url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
      token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    });
    expect(await redis.get(await idempotencyRecordKey(user.id, "POST", "/v1/api-keys", key))).toBeNull();
    const listed = pageSchema(apiKeySchema).parse(
      await json(await call("/v1/api-keys", { token: user.accessToken }), 200),
    );
    expect(listed.items.map((k) => k.id).sort()).toEqual([first.id, again.id].sort());
  });

  it("declares the header on every authenticated POST of the OpenAPI document but those handing out credentials, and only there", async () => {
    const doc = await json<{
      paths: Record<
        string,
        Record<string, { security?: object[]; parameters?: { name: string; in: string }[] }>
      >;
    }>(await call("/openapi.json"), 200);
    const declaring: string[] = [];
    const authenticatedPosts: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const declares = (op.parameters ?? []).some((p) => p.in === "header" && p.name === "Idempotency-Key");
        if (declares) declaring.push(`${method} ${path}`);
        if (method === "post" && op.security?.some((s) => "bearer" in s))
          authenticatedPosts.push(`${method} ${path}`);
      }
    }
    const credentialPosts = [...CREDENTIAL_ISSUING_POSTS].map((path) => `post ${path}`);
    for (const op of credentialPosts) expect(authenticatedPosts).toContain(op);
    expect(declaring.sort()).toEqual(authenticatedPosts.filter((op) => !credentialPosts.includes(op)).sort());
    for (const op of [
      "post /v1/entries",
      "post /v1/sessions",
      "post /v1/sessions/{id}/messages",
      "post /v1/insights/reflections",
      "post /v1/topics",
      "post /v1/topics/discover",
    ]) {
      expect(declaring).toContain(op);
    }
  });
});
