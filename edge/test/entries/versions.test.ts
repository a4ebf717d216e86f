import { type Entry, type EntryVersion, entrySchema, entryVersionSchema, pageSchema } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entries, entryVersions, jobs } from "../../src/db/schema/index.ts";
import {
  call,
  createKey,
  expectProblem,
  expectValidationPaths,
  registerUser,
  type TestUser,
  testDb,
} from "../harness.ts";
import { createEntry, json } from "./helpers.ts";

const versionPage = pageSchema(entryVersionSchema);

async function edit(user: TestUser, id: string, body: Record<string, unknown>): Promise<Entry> {
  return entrySchema.parse(
    await json(await call(`/v1/entries/${id}`, { method: "PATCH", token: user.accessToken, body }), 200),
  );
}

async function versionsOf(
  user: TestUser,
  id: string,
  query = "",
): Promise<{ items: EntryVersion[]; nextCursor: string | null }> {
  return versionPage.parse(
    await json(await call(`/v1/entries/${id}/versions${query}`, { token: user.accessToken }), 200),
  );
}

async function restore(
  user: TestUser,
  id: string,
  version: number | string,
  headers: Record<string, string> = {},
) {
  return await call(`/v1/entries/${id}/versions/${version}/restore`, {
    method: "POST",
    token: user.accessToken,
    headers,
  });
}

describe("entry versions", () => {
  it("keeps every text: create, edit twice, list, read one, restore", async () => {
    const user = await registerUser();
    const created = await createEntry(user, {
      title: "Morning",
      content: "First draft of the day.",
      mood: 5,
    });
    const second = await edit(user, created.id, { content: "Second draft, after coffee." });
    // A change that leaves title and content alone writes no version.
    await edit(user, created.id, { mood: 8, tags: ["coffee"] });
    const third = await edit(user, created.id, {
      title: "Late morning",
      content: "Third draft, by the window.",
    });

    const page = await versionsOf(user, created.id);
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(page.items.map((v) => [v.title, v.content, v.current])).toEqual([
      ["Late morning", "Third draft, by the window.", true],
      ["Morning", "Second draft, after coffee.", false],
      ["Morning", "First draft of the day.", false],
    ]);
    expect(page.items.every((v) => v.entryId === created.id && v.restoredFrom === null)).toBe(true);
    const [v3, v2, v1] = page.items;
    expect(v1?.createdAt).toBe(created.createdAt);
    expect(v2?.createdAt).toBe(second.updatedAt);
    expect(v3?.createdAt).toBe(third.updatedAt);
    expect(Date.parse(v1?.createdAt ?? "")).toBeLessThanOrEqual(Date.parse(v2?.createdAt ?? ""));
    expect(Date.parse(v2?.createdAt ?? "")).toBeLessThanOrEqual(Date.parse(v3?.createdAt ?? ""));
    expect(v1?.wordCount).toBe(6);

    const one = entryVersionSchema.parse(
      await json(await call(`/v1/entries/${created.id}/versions/1`, { token: user.accessToken }), 200),
    );
    expect(one).toEqual(v1);

    const before = Date.now();
    const restored = entrySchema.parse(await json(await restore(user, created.id, 1), 200));
    expect(restored).toMatchObject({
      title: "Morning",
      content: "First draft of the day.",
      mood: 8,
      tags: ["coffee"],
      wordCount: 6,
      analysis: { status: "pending" },
    });
    expect(restored.jobId).toBeTruthy();
    const [job] = await testDb()
      .select({ kind: jobs.kind, entryId: jobs.entryId, payload: jobs.payload })
      .from(jobs)
      .where(eq(jobs.id, restored.jobId ?? ""));
    expect(job).toEqual({
      kind: "analyze-entry",
      entryId: created.id,
      payload: { entryId: created.id, contentVersion: 4 },
    });
    // Reads say the same while the analysis is pending.
    const read = entrySchema.parse(
      await json(await call(`/v1/entries/${created.id}`, { token: user.accessToken }), 200),
    );
    expect(read).toMatchObject({ content: "First draft of the day.", jobId: restored.jobId });

    const after = await versionsOf(user, created.id);
    expect(after.items.map((v) => [v.version, v.current, v.restoredFrom])).toEqual([
      [4, true, 1],
      [3, false, null],
      [2, false, null],
      [1, false, null],
    ]);
    expect(after.items[0]).toMatchObject({ title: "Morning", content: "First draft of the day." });
    expect(Date.parse(after.items[0]?.createdAt ?? "")).toBeGreaterThanOrEqual(before - 1000);

    // Restoring the current version is still a new edit: a new version and a new analysis.
    const again = entrySchema.parse(await json(await restore(user, created.id, 4), 200));
    expect(again.jobId).toBeTruthy();
    expect(again.jobId).not.toBe(restored.jobId);
    expect((await versionsOf(user, created.id)).items[0]).toMatchObject({ version: 5, restoredFrom: 4 });
  });

  it("pages newest first with a cursor bound to the entry", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "v1" });
    for (const text of ["v2", "v3", "v4", "v5"]) await edit(user, entry.id, { content: text });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await versionsOf(user, entry.id, query);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((v) => v.version));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([5, 4, 3, 2, 1]);

    const first = await versionsOf(user, entry.id, "?limit=1");
    const other = await createEntry(user, { content: "another" });
    const foreign = await call(
      `/v1/entries/${other.id}/versions?cursor=${encodeURIComponent(first.nextCursor ?? "")}`,
      { token: user.accessToken },
    );
    expect(await expectValidationPaths(foreign)).toContain("cursor");
    const tampered = await call(`/v1/entries/${entry.id}/versions?cursor=${first.nextCursor}x`, {
      token: user.accessToken,
    });
    expect(await expectValidationPaths(tampered)).toContain("cursor");
  });

  it("validates versions and limits, and answers 404 for a version that does not exist", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "Only one version." });
    for (const bad of ["abc", "0", "-1", "1.5", "01", "9999999999"]) {
      const res = await call(`/v1/entries/${entry.id}/versions/${bad}`, { token: user.accessToken });
      expect(await expectValidationPaths(res), bad).toContain("version");
      expect(await expectValidationPaths(await restore(user, entry.id, bad)), bad).toContain("version");
    }
    for (const limit of ["0", "101", "x"]) {
      const res = await call(`/v1/entries/${entry.id}/versions?limit=${limit}`, { token: user.accessToken });
      expect(await expectValidationPaths(res)).toContain("limit");
    }
    await expectProblem(
      await call(`/v1/entries/${entry.id}/versions/2`, { token: user.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(await restore(user, entry.id, 2), 404, "NOT_FOUND");
    await expectProblem(
      await call(`/v1/entries/${crypto.randomUUID()}/versions`, { token: user.accessToken }),
      404,
      "NOT_FOUND",
    );
    expect((await versionsOf(user, entry.id)).items).toHaveLength(1);
  });

  it("restore honours If-Match and Idempotency-Key", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "original" });
    const edited = await edit(user, entry.id, { content: "edited" });
    const stale = await call(`/v1/entries/${entry.id}`, { token: user.accessToken }).then((r) =>
      r.headers.get("ETag"),
    );
    await edit(user, entry.id, { content: "edited again" });
    await expectProblem(
      await restore(user, entry.id, 1, { "If-Match": stale ?? "" }),
      412,
      "PRECONDITION_FAILED",
    );
    expect(edited.content).toBe("edited");

    const headers = { "Idempotency-Key": `restore-${crypto.randomUUID()}` };
    const first = await restore(user, entry.id, 1, headers);
    const firstBody = await json<Entry>(first, 200);
    const replay = await restore(user, entry.id, 1, headers);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await json<Entry>(replay, 200)).toEqual(firstBody);
    expect((await versionsOf(user, entry.id)).items.map((v) => v.version)).toEqual([4, 3, 2, 1]);
  });

  it("another user's entry answers 404 and stays as it was", async () => {
    const owner = await registerUser();
    const other = await registerUser();
    const entry = await createEntry(owner, { content: "mine" });
    await edit(owner, entry.id, { content: "mine, edited" });
    for (const path of [`/v1/entries/${entry.id}/versions`, `/v1/entries/${entry.id}/versions/1`]) {
      await expectProblem(await call(path, { token: other.accessToken }), 404, "NOT_FOUND");
    }
    await expectProblem(await restore(other, entry.id, 1), 404, "NOT_FOUND");
    const page = await versionsOf(owner, entry.id);
    expect(page.items.map((v) => [v.version, v.content])).toEqual([
      [2, "mine, edited"],
      [1, "mine"],
    ]);
  });

  it("reads need entries:read and a restore entries:write", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "scoped" });
    const reader = await createKey(user, ["entries:read"]);
    const writer = await createKey(user, ["entries:write"]);
    const ai = await createKey(user, ["ai"]);
    const list = `/v1/entries/${entry.id}/versions`;
    await json(await call(list, { token: reader.key }), 200);
    await json(await call(`${list}/1`, { token: reader.key }), 200);
    await expectProblem(await call(list, { token: writer.key }), 403, "FORBIDDEN");
    await expectProblem(await call(`${list}/1`, { token: ai.key }), 403, "FORBIDDEN");
    await expectProblem(
      await call(`${list}/1/restore`, { method: "POST", token: reader.key }),
      403,
      "FORBIDDEN",
    );
    await json(await call(`${list}/1/restore`, { method: "POST", token: writer.key }), 200);
  });

  it("the export carries every earlier version of live entries, and no one else's", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const theirs = await createEntry(other, { content: "their first words" });
    await edit(other, theirs.id, { content: "their second words" });
    const entry = await createEntry(user, { title: "Draft", content: "my first words" });
    await edit(user, entry.id, { content: "my second words" });
    await edit(user, entry.id, { title: "Final", content: "my third words" });
    const deleted = await createEntry(user, { content: "deleted first words" });
    await edit(user, deleted.id, { content: "deleted second words" });
    expect(
      (await call(`/v1/entries/${deleted.id}`, { method: "DELETE", token: user.accessToken })).status,
    ).toBe(204);

    const doc = await json<{ entries: Entry[]; versions: EntryVersion[] }>(
      await call("/v1/me/export", { token: user.accessToken }),
      200,
    );
    expect(doc.entries.map((e) => e.content)).toEqual(["my third words"]);
    expect(doc.versions.map((v) => [v.entryId, v.version, v.title, v.content, v.current])).toEqual([
      [entry.id, 1, "Draft", "my first words", false],
      [entry.id, 2, "Draft", "my second words", false],
    ]);
    const md = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(md).toContain("# Earlier versions of entries");
    expect(md).toContain("my first words");
    expect(md).not.toContain("their first words");
    expect(md).not.toContain("deleted first words");
  });

  it("a deleted entry's versions are gone: unreadable at once, removed with the entry for good", async () => {
    const user = await registerUser();
    const entry = await createEntry(user, { content: "to be deleted" });
    await edit(user, entry.id, { content: "to be deleted, edited" });
    const res = await call(`/v1/entries/${entry.id}`, { method: "DELETE", token: user.accessToken });
    expect(res.status).toBe(204);
    for (const path of [`/v1/entries/${entry.id}/versions`, `/v1/entries/${entry.id}/versions/1`]) {
      await expectProblem(await call(path, { token: user.accessToken }), 404, "NOT_FOUND");
    }
    await expectProblem(await restore(user, entry.id, 1), 404, "NOT_FOUND");
    // The retention run's hard delete (and an account's) cascades to the versions.
    const db = testDb();
    expect(await db.select().from(entryVersions).where(eq(entryVersions.entryId, entry.id))).toHaveLength(2);
    await db.delete(entries).where(eq(entries.id, entry.id));
    expect(await db.select().from(entryVersions).where(eq(entryVersions.entryId, entry.id))).toHaveLength(0);
  });
});
