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
  it("200 entries from 20 parallel clients: 200 rows, 200 jobs, exact counts", async () => {
    const user = await registerUser();
    const topic = await createTopic(user, "Burst");
    const jobIds = new Set<string>();
    await Promise.all(
      Array.from({ length: 20 }, async (_, client) => {
        for (let i = 0; i < 10; i++) {
          const entry = await createEntry(user, {
            content: `client ${client} entry ${i}`,
            topicIds: [topic.id],
          });
          if (entry.jobId) jobIds.add(entry.jobId);
        }
      }),
    );
    expect(jobIds.size).toBe(200);
    const all = await listAll(user, "?limit=100");
    expect(all).toHaveLength(200);
    expect(new Set(all.map((e) => e.id)).size).toBe(200);
    expect((await topicsOf(user.accessToken))[0]?.entryCount).toBe(200);
  }, 180_000);
});
