import { describe, expect, it } from "vitest";
import { call, expectProblem, registerUser } from "../harness.ts";
import { createEntry, createTopic, json } from "./helpers.ts";

describe("tenancy: another user's journal answers 404 everywhere", () => {
  it("on every entry, topic and job route that takes an id", async () => {
    const owner = await registerUser();
    const intruder = await registerUser();
    const topic = await createTopic(owner, "Private");
    const entry = await createEntry(owner, { content: "my secret", topicIds: [topic.id] });
    const t = intruder.accessToken;
    const attempts: [string, Parameters<typeof call>[1]][] = [
      [`/v1/entries/${entry.id}`, { token: t }],
      [`/v1/entries/${entry.id}`, { method: "PATCH", token: t, body: { content: "mine now" } }],
      [`/v1/entries/${entry.id}`, { method: "DELETE", token: t }],
      [`/v1/entries/${entry.id}/favorite`, { method: "PUT", token: t }],
      [`/v1/entries/${entry.id}/favorite`, { method: "DELETE", token: t }],
      [`/v1/topics/${topic.id}`, { method: "PATCH", token: t, body: { name: "x" } }],
      [`/v1/topics/${topic.id}`, { method: "DELETE", token: t }],
      [`/v1/topics/${topic.id}/entries`, { token: t }],
      [`/v1/jobs/${entry.jobId}`, { token: t }],
    ];
    for (const [path, options] of attempts) await expectProblem(await call(path, options), 404, "NOT_FOUND");
    // Nothing leaks through lists, filters or search either.
    const list = await json<{ items: unknown[] }>(
      await call(`/v1/entries?topicId=${topic.id}`, { token: t }),
      200,
    );
    expect(list.items).toEqual([]);
    const found = await json<{ items: unknown[] }>(
      await call("/v1/search?q=secret&mode=keyword", { token: t }),
      200,
    );
    expect(found.items).toEqual([]);
    const topics = await json<{ items: unknown[] }>(await call("/v1/topics", { token: t }), 200);
    expect(topics.items).toEqual([]);
    // And the owner's data is untouched.
    const mine = await json<{ content: string; favorite: boolean }>(
      await call(`/v1/entries/${entry.id}`, { token: owner.accessToken }),
      200,
    );
    expect(mine).toMatchObject({ content: "my secret", favorite: false });
  });

  it("every journal route refuses a missing token", async () => {
    const id = crypto.randomUUID();
    for (const [path, method] of [
      ["/v1/entries", "GET"],
      ["/v1/entries", "POST"],
      [`/v1/entries/${id}`, "GET"],
      [`/v1/entries/${id}`, "PATCH"],
      [`/v1/entries/${id}`, "DELETE"],
      [`/v1/entries/${id}/favorite`, "PUT"],
      ["/v1/topics", "GET"],
      ["/v1/topics", "POST"],
      [`/v1/topics/${id}/entries`, "GET"],
      [`/v1/jobs/${id}`, "GET"],
      ["/v1/search?q=x", "GET"],
    ] as const) {
      await expectProblem(await call(path, { method }), 401, "UNAUTHENTICATED");
    }
  });
});
