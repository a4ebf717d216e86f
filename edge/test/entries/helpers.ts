import { type Entry, entrySchema, type Topic, topicSchema } from "@inkwell/shared";
import { expect } from "vitest";
import { type CallOptions, call, type TestUser } from "../harness.ts";

export async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

export async function createEntry(
  user: TestUser,
  body: Record<string, unknown>,
  options: CallOptions = {},
): Promise<Entry> {
  return entrySchema.parse(
    await json(await call("/v1/entries", { token: user.accessToken, body, ...options }), 201),
  );
}

export async function createTopic(user: TestUser, name: string): Promise<Topic> {
  return topicSchema.parse(
    await json(await call("/v1/topics", { token: user.accessToken, body: { name } }), 201),
  );
}

export async function listAll(user: TestUser, query: string): Promise<Entry[]> {
  const items: Entry[] = [];
  let cursor: string | null = null;
  do {
    const sep = query.includes("?") ? "&" : "?";
    const path: string = `/v1/entries${query}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page: { items: Entry[]; nextCursor: string | null } = await json(
      await call(path, { token: user.accessToken }),
      200,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}
