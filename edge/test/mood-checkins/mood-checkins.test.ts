import { SELF } from "cloudflare:test";
import {
  type MoodByTime,
  type MoodCheckin,
  type MoodInsights,
  type MoodStability,
  moodCheckinSchema,
  pageSchema,
} from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { createInkwellClient } from "../../src/client.ts";
import {
  BASE_URL,
  call,
  createKey,
  expectProblem,
  expectValidationPaths,
  randomIp,
  registerUser,
  type TestUser,
} from "../harness.ts";
import { getJson, q, seedEntries } from "../insights/helpers.ts";

const checkinPage = pageSchema(moodCheckinSchema);

async function checkIn(user: TestUser | string, body: unknown, headers: Record<string, string> = {}) {
  const token = typeof user === "string" ? user : user.accessToken;
  return await call("/v1/mood-checkins", { token, body, headers });
}

async function made(res: Response): Promise<MoodCheckin> {
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return moodCheckinSchema.parse(JSON.parse(text));
}

async function list(
  user: TestUser | string,
  query = "",
): Promise<{ items: MoodCheckin[]; nextCursor: string | null }> {
  const token = typeof user === "string" ? user : user.accessToken;
  const res = await call(`/v1/mood-checkins${query}`, { token });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return checkinPage.parse(JSON.parse(text));
}

describe.concurrent("mood check-ins", () => {
  it("logs a mood without an entry, lists newest first a page at a time, in [from, to), and deletes", async () => {
    const user = await registerUser();
    const now = await made(await checkIn(user, { mood: 7, note: "  after the run  " }));
    expect(now).toMatchObject({ mood: 7, note: "after the run" });
    expect(Math.abs(new Date(now.at).getTime() - Date.now())).toBeLessThan(60_000);
    const earlier = await made(await checkIn(user, { mood: 3, at: "2026-01-10T08:00:00+01:00" }));
    expect(earlier).toMatchObject({ mood: 3, note: null, at: "2026-01-10T07:00:00.000Z" });
    const older = await made(await checkIn(user, { mood: 5, at: "2026-01-09T08:00:00Z" }));

    expect((await list(user)).items.map((c) => c.id)).toEqual([now.id, earlier.id, older.id]);
    const first = await list(user, "?limit=2");
    expect(first.items.map((c) => c.id)).toEqual([now.id, earlier.id]);
    const second = await list(user, `?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? "")}`);
    expect(second).toEqual({ items: [older], nextCursor: null });
    const january = await list(user, q({ from: "2026-01-09T08:00:00Z", to: "2026-01-10T07:00:00Z" }));
    expect(january.items.map((c) => c.id)).toEqual([older.id]);

    const res = await call(`/v1/mood-checkins/${earlier.id}`, { method: "DELETE", token: user.accessToken });
    expect(res.status).toBe(204);
    expect((await list(user)).items.map((c) => c.id)).toEqual([now.id, older.id]);
    await expectProblem(
      await call(`/v1/mood-checkins/${earlier.id}`, { method: "DELETE", token: user.accessToken }),
      404,
      "NOT_FOUND",
    );
  });

  it("validates the mood on the entries' scale, the note's length and the time", async () => {
    const user = await registerUser();
    expect(await expectValidationPaths(await checkIn(user, {}))).toEqual(["mood"]);
    expect(await expectValidationPaths(await checkIn(user, { mood: 0 }))).toEqual(["mood"]);
    expect(await expectValidationPaths(await checkIn(user, { mood: 11 }))).toEqual(["mood"]);
    expect(await expectValidationPaths(await checkIn(user, { mood: 5.5 }))).toEqual(["mood"]);
    expect(await expectValidationPaths(await checkIn(user, { mood: 5, note: "x".repeat(281) }))).toEqual([
      "note",
    ]);
    expect((await checkIn(user, { mood: 5, note: "x".repeat(280) })).status).toBe(201);
    expect(await expectValidationPaths(await checkIn(user, { mood: 5, at: "yesterday" }))).toEqual(["at"]);
    const nextWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
    expect(await expectValidationPaths(await checkIn(user, { mood: 5, at: nextWeek }))).toEqual(["at"]);
    expect(await expectValidationPaths(await checkIn(user, { mood: 5, content: "not here" }))).toEqual([
      "(root)",
    ]);
    expect(
      await expectValidationPaths(await call("/v1/mood-checkins?from=soon", { token: user.accessToken })),
    ).toEqual(["from"]);
    expect(
      await expectValidationPaths(await call("/v1/mood-checkins?cursor=forged", { token: user.accessToken })),
    ).toEqual(["cursor"]);
  });

  it("another writer's check-in is 404 and never listed", async () => {
    const [owner, other] = await Promise.all([registerUser(), registerUser()]);
    const mine = await made(await checkIn(owner, { mood: 8 }));
    expect((await list(other)).items).toEqual([]);
    await expectProblem(
      await call(`/v1/mood-checkins/${mine.id}`, { method: "DELETE", token: other.accessToken }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call("/v1/mood-checkins/not-an-id", { method: "DELETE", token: owner.accessToken }),
      404,
      "NOT_FOUND",
    );
    expect((await list(owner)).items.map((c) => c.id)).toEqual([mine.id]);
  });

  it("needs entries:write to log or delete and entries:read to list", async () => {
    const user = await registerUser();
    const [reader, writer, ai] = await Promise.all([
      createKey(user, ["entries:read"]),
      createKey(user, ["entries:write"]),
      createKey(user, ["ai"]),
    ]);
    await expectProblem(await checkIn(reader.key, { mood: 4 }), 403, "FORBIDDEN");
    await expectProblem(await checkIn(ai.key, { mood: 4 }), 403, "FORBIDDEN");
    const logged = await made(await checkIn(writer.key, { mood: 4 }));
    await expectProblem(await call("/v1/mood-checkins", { token: writer.key }), 403, "FORBIDDEN");
    expect((await list(reader.key)).items.map((c) => c.id)).toEqual([logged.id]);
    await expectProblem(
      await call(`/v1/mood-checkins/${logged.id}`, { method: "DELETE", token: reader.key }),
      403,
      "FORBIDDEN",
    );
    await expectProblem(await call("/v1/mood-checkins"), 401, "UNAUTHENTICATED");
  });

  it("an Idempotency-Key logs a check-in once", async () => {
    const user = await registerUser();
    const headers = { "Idempotency-Key": "checkin-1" };
    const first = await made(await checkIn(user, { mood: 6 }, headers));
    const again = await checkIn(user, { mood: 6 }, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.json()).toEqual(first);
    await expectProblem(await checkIn(user, { mood: 2 }, headers), 409, "CONFLICT");
    expect((await list(user)).items).toHaveLength(1);
  });

  it("count in the mood insights as one rating each, and cached insights see them at once", async () => {
    const user = await registerUser({ timezone: "Asia/Kolkata" });
    // Tuesday 2026-03-10 in Kolkata (UTC+05:30): an entry rated 8 at 09:00 local, analysed.
    await seedEntries(user.id, [{ occurredAt: "2026-03-10T03:30:00Z", mood: 8, sentiment: 0.5 }]);
    const range = q({ from: "2026-03-10T00:00:00+05:30", to: "2026-03-12T00:00:00+05:30", bucket: "day" });
    const before = await getJson<MoodInsights>(`/v1/insights/mood${range}`, user);
    expect(before.items[0]).toMatchObject({ entryCount: 1, moodCount: 1, avgMood: 8, avgSentiment: 0.5 });

    // Two check-ins the same local day (21:00 and 23:50 local; 23:50 is still the 10th there) and one
    // on the 11th, without an entry that day.
    await made(await checkIn(user, { mood: 2, at: "2026-03-10T15:30:00Z" }));
    await made(await checkIn(user, { mood: 5, at: "2026-03-10T18:20:00Z" }));
    await made(await checkIn(user, { mood: 9, at: "2026-03-11T04:30:00Z" }));
    const after = await getJson<MoodInsights>(`/v1/insights/mood${range}`, user);
    expect(after.items).toEqual([
      expect.objectContaining({
        localDate: "2026-03-10",
        entryCount: 1,
        moodCount: 3,
        avgMood: 5,
        analyzedCount: 1,
        avgSentiment: 0.5,
      }),
      expect.objectContaining({
        localDate: "2026-03-11",
        entryCount: 0,
        moodCount: 1,
        avgMood: 9,
        analyzedCount: 0,
        avgSentiment: null,
      }),
    ]);

    const span = q({ from: "2026-03-10T00:00:00+05:30", to: "2026-03-12T00:00:00+05:30" });
    const byTime = await getJson<MoodByTime>(`/v1/insights/mood/by-time${span}`, user);
    expect(byTime.byWeekday[1]).toMatchObject({ name: "tuesday", entryCount: 1, moodCount: 3, avgMood: 5 });
    expect(byTime.byWeekday[2]).toMatchObject({ name: "wednesday", entryCount: 0, moodCount: 1, avgMood: 9 });
    expect(byTime.byHour[21]).toMatchObject({ entryCount: 0, moodCount: 1, avgMood: 2 });
    const stability = await getJson<MoodStability>(`/v1/insights/mood/stability${span}`, user);
    // Daily means 5 and 9 on consecutive days: one step of 4.
    expect(stability.overall.mood).toMatchObject({ days: 2, mean: 7, rmssd: 4, pairs: 1, min: 5, max: 9 });

    const [last] = (await list(user)).items;
    await call(`/v1/mood-checkins/${last?.id}`, { method: "DELETE", token: user.accessToken });
    const afterDelete = await getJson<MoodInsights>(`/v1/insights/mood${range}`, user);
    expect(afterDelete.items[1]).toMatchObject({ moodCount: 0, avgMood: null });
  });

  it("are in the export and the typed client", async () => {
    const user = await registerUser();
    await made(await checkIn(user, { mood: 7, note: "sunny", at: "2026-02-01T10:00:00Z" }));
    const doc = await getJson<{ moodCheckins: MoodCheckin[] }>("/v1/me/export", user);
    expect(doc.moodCheckins).toEqual([expect.objectContaining({ mood: 7, note: "sunny" })]);
    const md = await (await call("/v1/me/export?format=markdown", { token: user.accessToken })).text();
    expect(md).toContain("# Mood check-ins");
    expect(md).toContain("2026-02-01 · mood 7/10 — sunny");

    const ip = randomIp();
    const api = createInkwellClient(BASE_URL, {
      token: user.accessToken,
      fetch: (input, init) => {
        const request = new Request(input, init);
        request.headers.set("CF-Connecting-IP", ip);
        return SELF.fetch(request);
      },
    });
    const created = await api.v1["mood-checkins"].$post({ json: { mood: 4 } });
    if (created.status !== 201) throw new Error(`status ${created.status}`);
    const { id } = await created.json();
    const page = await api.v1["mood-checkins"].$get({ query: { limit: "1" } });
    if (page.status !== 200) throw new Error(`status ${page.status}`);
    expect((await page.json()).items.map((c) => c.id)).toEqual([id]);
    const removed = await api.v1["mood-checkins"][":id"].$delete({ param: { id } });
    expect(removed.status).toBe(204);
  });
});
