import { Redis } from "@upstash/redis/cloudflare";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { purgeExpiredEntries } from "../../src/services/retention.ts";
import { createEntry, createTopic, json } from "../entries/helpers.ts";
import {
  call,
  createKey,
  edgeEnv,
  expectProblem,
  expectValidationPaths,
  registerUser,
  testDb,
} from "../harness.ts";

describe("GET /v1/me/export", () => {
  it("streams the whole journal as JSON: every entry, topics, profile — nothing of anyone else", async () => {
    const user = await registerUser({ displayName: "Ada" });
    const other = await registerUser();
    await createEntry(other, { content: "not yours" });
    const topic = await createTopic(user, "Sea");
    const first = await createEntry(user, { content: "entry number 0", topicIds: [topic.id] });
    // The rest straight into the table: the export pages through 450 rows, not through 450 API calls.
    await testDb().execute(sql`
      insert into entries (id, user_id, content, word_count, occurred_at)
      select gen_random_uuid(), ${user.id}::uuid, 'entry number ' || n, 3, now() - n * interval '1 minute'
      from generate_series(1, 449) as n`);
    const res = await call("/v1/me/export", { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Disposition")).toMatch(/attachment; filename="inkwell-export-.*\.json"/);
    const doc = (await res.json()) as {
      format: string;
      user: { email: string; displayName: string };
      topics: { id: string }[];
      entries: { content: string; topicIds: string[] }[];
    };
    expect(doc.format).toBe("inkwell-export/v1");
    expect(doc.user).toMatchObject({ email: user.email, displayName: "Ada" });
    expect(doc.topics.map((t) => t.id)).toEqual([topic.id]);
    expect(doc.entries).toHaveLength(450);
    expect(new Set(doc.entries.map((e) => e.content)).size).toBe(450);
    expect(doc.entries.find((e) => e.content === first.content)?.topicIds).toEqual([topic.id]);
    expect(doc.entries.some((e) => e.content === "not yours")).toBe(false);
  });

  it("writes one readable Markdown document", async () => {
    const user = await registerUser();
    await createEntry(user, {
      title: "Morning",
      content: "Coffee on the balcony.",
      mood: 8,
      occurredAt: "2026-05-04T07:00:00Z",
    });
    const res = await call("/v1/me/export?format=markdown", { token: user.accessToken });
    expect(res.headers.get("Content-Type")).toContain("text/markdown");
    const text = await res.text();
    expect(text).toContain("## 2026-05-04 — Morning");
    expect(text).toContain("Coffee on the balcony.");
    expect(text).toContain("mood 8/10");
  });

  it("refuses a bad format and a missing token", async () => {
    const user = await registerUser();
    expect(
      await expectValidationPaths(await call("/v1/me/export?format=pdf", { token: user.accessToken })),
    ).toContain("format");
    await expectProblem(await call("/v1/me/export"), 401, "UNAUTHENTICATED");
  });
});

describe("DELETE /v1/me", () => {
  it("needs the password again, and a session rather than an API key", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read", "entries:write"]);
    await expectProblem(
      await call("/v1/me", { method: "DELETE", token: key.key, body: { password: user.password } }),
      403,
      "FORBIDDEN",
    );
    expect(
      await expectValidationPaths(
        await call("/v1/me", {
          method: "DELETE",
          token: user.accessToken,
          body: { password: "wrong one!!" },
        }),
      ),
    ).toContain("password");
    expect(
      await expectValidationPaths(
        await call("/v1/me", { method: "DELETE", token: user.accessToken, body: {} }),
      ),
    ).toContain("password");
  });

  it("removes everything: rows, tokens, keys and cache keys, at once", async () => {
    const user = await registerUser();
    const key = await createKey(user, ["entries:read"]);
    const topic = await createTopic(user, "Gone");
    const entry = await createEntry(user, { content: "soon forgotten", topicIds: [topic.id] });
    // Warm caches so there is something to remove.
    await json(await call(`/v1/entries/${entry.id}`, { token: key.key }), 200);
    await json(await call("/v1/entries", { token: user.accessToken }), 200);

    const res = await call("/v1/me", {
      method: "DELETE",
      token: user.accessToken,
      body: { password: user.password },
    });
    const body = await json<{ deleted: boolean; purgeJobId: string }>(res, 202);
    expect(body.deleted).toBe(true);

    await expectProblem(await call("/v1/me", { token: user.accessToken }), 401, "UNAUTHENTICATED");
    await expectProblem(await call("/v1/entries", { token: key.key }), 401, "UNAUTHENTICATED");
    await expectProblem(
      await call("/v1/auth/refresh", { body: { refreshToken: user.refreshToken } }),
      401,
      "UNAUTHENTICATED",
    );

    const db = testDb();
    const leftovers = await db.execute<{ n: number }>(sql`
      select (select count(*) from users where id = ${user.id})
           + (select count(*) from entries where user_id = ${user.id})
           + (select count(*) from entry_analyses where user_id = ${user.id})
           + (select count(*) from topics where user_id = ${user.id})
           + (select count(*) from api_keys where user_id = ${user.id})
           + (select count(*) from refresh_tokens where user_id = ${user.id})
           + (select count(*) from jobs where user_id = ${user.id}) as n`);
    expect(Number(leftovers[0]?.n)).toBe(0);
    const purge = await db.execute<{ kind: string; payload: { userId: string } }>(
      sql`select kind, payload from jobs where id = ${body.purgeJobId}`,
    );
    expect(purge[0]).toMatchObject({ kind: "purge-user-vectors", payload: { userId: user.id } });

    const redis = new Redis({
      url: edgeEnv.UPSTASH_REDIS_REST_URL ?? "",
      token: edgeEnv.UPSTASH_REDIS_REST_TOKEN ?? "",
    });
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, { match: `*${user.id}*`, count: 1000 });
      found.push(...keys);
      cursor = String(next);
    } while (cursor !== "0");
    expect(found).toEqual([]);
  });
});

describe("retention", () => {
  it("removes soft-deleted entries for good once the retention period has passed, and nothing else", async () => {
    const user = await registerUser();
    const kept = await createEntry(user, { content: "kept" });
    const recent = await createEntry(user, { content: "deleted today" });
    const old = await createEntry(user, { content: "deleted long ago" });
    await call(`/v1/entries/${recent.id}`, { method: "DELETE", token: user.accessToken });
    await call(`/v1/entries/${old.id}`, { method: "DELETE", token: user.accessToken });
    const db = testDb();
    await db.execute(sql`update entries set deleted_at = now() - interval '31 days' where id = ${old.id}`);
    expect(await purgeExpiredEntries(db, 30)).toBeGreaterThanOrEqual(1);
    const rows = await db.execute<{ id: string }>(
      sql`select id from entries where user_id = ${user.id} order by id`,
    );
    expect(rows.map((r) => r.id).sort()).toEqual([kept.id, recent.id].sort());
  });
});
