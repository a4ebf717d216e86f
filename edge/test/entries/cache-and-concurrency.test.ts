import { type Topic, topicSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { call, registerUser } from "../harness.ts";
import { createEntry, createTopic, json, listAll } from "./helpers.ts";

async function topicsOf(token: string): Promise<Topic[]> {
  const body = await json<{ items: unknown[] }>(await call("/v1/topics", { token }), 200);
  return body.items.map((t) => topicSchema.parse(t));
}

describe("cached views never show stale data", () => {
  it("read → write → read, for the entry, the list and the topics", async () => {
    const user = await registerUser();
    const t = user.accessToken;
    const topic = await createTopic(user, "Sleep");
    const entry = await createEntry(user, { content: "slept badly" });
    // Warm every cached view.
    await json(await call(`/v1/entries/${entry.id}`, { token: t }), 200);
    expect(await listAll(user, "")).toHaveLength(1);
    expect((await topicsOf(t))[0]?.entryCount).toBe(0);

    await json(
      await call(`/v1/entries/${entry.id}`, {
        method: "PATCH",
        token: t,
        body: { content: "slept well", topicIds: [topic.id] },
      }),
      200,
    );
    const read = await json<{ content: string; topicIds: string[] }>(
      await call(`/v1/entries/${entry.id}`, { token: t }),
      200,
    );
    expect(read).toMatchObject({ content: "slept well", topicIds: [topic.id] });
    expect((await listAll(user, ""))[0]?.content).toBe("slept well");
    expect((await topicsOf(t))[0]?.entryCount).toBe(1);

    await createEntry(user, { content: "second night", topicIds: [topic.id] });
    expect(await listAll(user, "")).toHaveLength(2);
    expect((await topicsOf(t))[0]?.entryCount).toBe(2);

    await call(`/v1/entries/${entry.id}`, { method: "DELETE", token: t });
    expect(await listAll(user, "")).toHaveLength(1);
    expect((await topicsOf(t))[0]?.entryCount).toBe(1);
  });
});

describe("concurrent writers", () => {
  // A short write burst: enough parallel clients to interleave every write path (row locks on the topic's
  // count, the outbox, cache invalidation), few enough to finish well inside the test's time.
  it("60 entries from 12 parallel clients: 60 rows, 60 jobs, exact counts", async () => {
    const clients = 12;
    const perClient = 5;
    const user = await registerUser();
    const topic = await createTopic(user, "Burst");
    const jobIds = new Set<string>();
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let i = 0; i < perClient; i++) {
          const entry = await createEntry(user, {
            content: `client ${client} entry ${i}`,
            topicIds: [topic.id],
          });
          if (entry.jobId) jobIds.add(entry.jobId);
        }
      }),
    );
    const total = clients * perClient;
    expect(jobIds.size).toBe(total);
    const all = await listAll(user, "?limit=25");
    expect(all).toHaveLength(total);
    expect(new Set(all.map((e) => e.id)).size).toBe(total);
    expect((await topicsOf(user.accessToken))[0]?.entryCount).toBe(total);
  }, 180_000);
});
