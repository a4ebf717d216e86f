import { type Topic, topicSchema } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createEntry, createTopic, json } from "../entries/helpers.ts";
import {
  call,
  createKey,
  expectProblem,
  expectValidationPaths,
  registerUser,
  type TestUser,
} from "../harness.ts";

const topicPage = z.object({ items: z.array(topicSchema), nextCursor: z.string().nullable() });

async function page(user: TestUser, query: string) {
  return topicPage.parse(await json(await call(`/v1/topics${query}`, { token: user.accessToken }), 200));
}

describe("GET /v1/topics, a page at a time", () => {
  it("pages through every topic in name order without repeats, then says there is no next page", async () => {
    const user = await registerUser();
    // Names that sort differently by case and by byte, so the cursor has to follow the list's own order.
    const names = ["delta", "Alpha", "charlie", "Echo", "bravo"];
    for (const name of names) await createTopic(user, name);

    const seen: Topic[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const next: z.infer<typeof topicPage> = await page(
        user,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(next.items.length).toBeLessThanOrEqual(2);
      seen.push(...next.items);
      cursor = next.nextCursor;
      pages += 1;
    } while (cursor);

    expect(pages).toBe(3);
    expect(seen.map((t) => t.name)).toEqual(["Alpha", "bravo", "charlie", "delta", "Echo"]);
    // Without limit the default page holds them all and says there is nothing more, as before.
    const all = await page(user, "");
    expect(all.items.map((t) => t.name)).toEqual(seen.map((t) => t.name));
    expect(all.nextCursor).toBeNull();
  });

  it("refuses a bad limit and a cursor it did not issue for this list", async () => {
    const user = await registerUser();
    await createTopic(user, "one");
    await createTopic(user, "two");
    const t = user.accessToken;
    expect(await expectValidationPaths(await call("/v1/topics?limit=0", { token: t }))).toContain("limit");
    expect(await expectValidationPaths(await call("/v1/topics?limit=101", { token: t }))).toContain("limit");
    expect(await expectValidationPaths(await call("/v1/topics?cursor=forged.abc", { token: t }))).toContain(
      "cursor",
    );
    // A cursor of the entry list is signed by the same API but names another list.
    for (let i = 0; i < 2; i++) await createEntry(user, { content: `entry ${i}` });
    const entries = await json<{ nextCursor: string | null }>(
      await call("/v1/entries?limit=1", { token: t }),
      200,
    );
    expect(entries.nextCursor).not.toBeNull();
    expect(
      await expectValidationPaths(
        await call(`/v1/topics?cursor=${encodeURIComponent(entries.nextCursor ?? "")}`, { token: t }),
      ),
    ).toContain("cursor");
  });

  it("never shows another writer's topics, and a page's cursor is of no use to another writer", async () => {
    const a = await registerUser();
    const b = await registerUser();
    await createTopic(a, "a-one");
    await createTopic(a, "a-two");
    await createTopic(b, "b-only");
    const first = await page(a, "?limit=1");
    expect(first.nextCursor).not.toBeNull();
    const asB = await page(b, `?limit=5&cursor=${encodeURIComponent(first.nextCursor ?? "")}`);
    expect(asB.items.map((t) => t.name)).toEqual(["b-only"]);
  });
});

describe("GET /v1/topics/{id}", () => {
  it("reads one topic with its entry count; another writer, an unknown id and a malformed id get 404", async () => {
    const a = await registerUser();
    const b = await registerUser();
    const topic = await createTopic(a, "Sleep");
    await createEntry(a, { content: "slept badly again", topicIds: [topic.id] });

    const read = topicSchema.parse(
      await json(await call(`/v1/topics/${topic.id}`, { token: a.accessToken }), 200),
    );
    expect(read).toMatchObject({ id: topic.id, name: "Sleep", kind: "user", entryCount: 1 });

    await expectProblem(await call(`/v1/topics/${topic.id}`, { token: b.accessToken }), 404, "NOT_FOUND");
    await expectProblem(
      await call(`/v1/topics/${crypto.randomUUID()}`, { token: a.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(await call("/v1/topics/not-a-topic", { token: a.accessToken }), 404, "NOT_FOUND");
    // Longer than any id: the same 400 as the other {id} routes.
    await expectProblem(
      await call(`/v1/topics/${"x".repeat(65)}`, { token: a.accessToken }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("answers 304 for its own ETag and shows a rename at once", async () => {
    const user = await registerUser();
    const topic = await createTopic(user, "Work");
    const first = await call(`/v1/topics/${topic.id}`, { token: user.accessToken });
    expect(first.status).toBe(200);
    const etag = first.headers.get("ETag") ?? "";
    const again = await call(`/v1/topics/${topic.id}`, {
      token: user.accessToken,
      headers: { "If-None-Match": etag },
    });
    expect(again.status).toBe(304);
    await json(
      await call(`/v1/topics/${topic.id}`, {
        method: "PATCH",
        token: user.accessToken,
        body: { name: "Career" },
      }),
      200,
    );
    const renamed = topicSchema.parse(
      await json(await call(`/v1/topics/${topic.id}`, { token: user.accessToken }), 200),
    );
    expect(renamed.name).toBe("Career");
  });

  it("needs entries:read: an ai-only key gets 403, an entries:read key reads it", async () => {
    const user = await registerUser();
    const topic = await createTopic(user, "Family");
    const aiOnly = await createKey(user, ["ai"]);
    const reader = await createKey(user, ["entries:read"]);
    await expectProblem(await call(`/v1/topics/${topic.id}`, { token: aiOnly.key }), 403, "FORBIDDEN");
    expect((await call(`/v1/topics/${topic.id}`, { token: reader.key })).status).toBe(200);
  });
});
