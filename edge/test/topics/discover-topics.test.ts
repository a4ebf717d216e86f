import { type Entry, entrySchema, type TopicInsights, uuidv7 } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { entries, entryTopics, jobs, topics, users } from "../../src/db/schema/index.ts";
import { cronTasks } from "../../src/scheduled.ts";
import { dispatchJob } from "../../src/services/job-dispatch.ts";
import { TOPIC_JOB_MAX_BODY_BYTES } from "../../src/services/topic-discovery-job.ts";
import { createEntry, createTopic, json } from "../entries/helpers.ts";
import { call, callWithEnv, expectProblem, registerUser, testDb } from "../harness.ts";
import {
  analysisResult,
  CALLBACK,
  deliveredCallback,
  postSigned,
  publicUrl,
  qstashSignature,
} from "../pipeline/helpers.ts";
import {
  builtBody,
  config,
  deliverTopics,
  deps,
  discoveryJobs,
  listTopics,
  MODEL,
  runningDiscoveryJob,
  seedAnalysed,
  topic,
} from "./helpers.ts";

const themes = {
  harbour: ["Walked to the harbour at dawn.", "Gulls over the harbour wall.", "Sat by the sea, boats in."],
  running: ["Ran ten kilometres.", "Long run before the marathon.", "Intervals on the track."],
  money: ["Paid off the card.", "Saving pounds each week."],
};

describe("storing a discovery run", () => {
  it("stores discovered topics with keywords, counts and trend beside the writer's own, once", async () => {
    const user = await registerUser();
    const harbour = await seedAnalysed(user.id, themes.harbour);
    const running = await seedAnalysed(user.id, themes.running);
    const mine = await createTopic(user, "harbour, gulls");
    await testDb()
      .insert(entryTopics)
      .values({ entryId: harbour[0] ?? "", topicId: mine.id, userId: user.id });

    const jobId = await runningDiscoveryJob(user.id);
    const result = [topic("harbour, gulls, sea", harbour), topic("run, marathon, track", running)];
    expect(await deliverTopics(jobId, user.id, result)).toBe("applied");

    const listed = await listTopics(user);
    const discovered = listed.filter((t) => t.kind === "discovered");
    expect(discovered.map((t) => [t.name, t.keywords, t.entryCount, t.trend.last30Days])).toEqual([
      ["harbour, gulls, sea", ["harbour", "gulls", "sea"], 3, 3],
      ["run, marathon, track", ["run", "marathon", "track"], 3, 3],
    ]);
    // Fresh ids minted at the edge, not whatever the node proposed for a new topic.
    expect(discovered.map((t) => t.id)).not.toContain(result[0]?.id);
    // The writer's own topic is untouched, keeps its link and has no keywords.
    expect(listed.find((t) => t.id === mine.id)).toMatchObject({
      kind: "user",
      name: "harbour, gulls",
      keywords: [],
      entryCount: 1,
    });
    const job = await json<{ status: string }>(
      await call(`/v1/jobs/${jobId}`, { token: user.accessToken }),
      200,
    );
    expect(job.status).toBe("done");

    // QStash delivering the same callback again changes nothing.
    const before = await testDb().select().from(topics).where(eq(topics.userId, user.id));
    expect(await deliverTopics(jobId, user.id, result)).toBe("duplicate");
    expect(await testDb().select().from(topics).where(eq(topics.userId, user.id))).toEqual(before);

    // The discovered topics' entries, each entry's analysis, and insights over them.
    const harbourTopic = discovered[0]?.id ?? "";
    const member = entrySchema.parse(
      await json(await call(`/v1/entries/${harbour[0]}`, { token: user.accessToken }), 200),
    );
    expect(member.analysis.topics).toEqual([{ id: harbourTopic, name: "harbour, gulls, sea" }]);
    expect(member.topicIds).toContain(mine.id);
    const page = await json<{ items: { id: string }[] }>(
      await call(`/v1/topics/${harbourTopic}/entries`, { token: user.accessToken }),
      200,
    );
    expect(page.items.map((e) => e.id).sort()).toEqual([...harbour].sort());
    const insights = await json<TopicInsights>(
      await call("/v1/insights/topics?bucket=day", { token: user.accessToken }),
      200,
    );
    expect(insights.items.map((t) => [t.name, t.kind, t.total])).toEqual([
      ["harbour, gulls, sea", "discovered", 3],
      ["run, marathon, track", "discovered", 3],
      ["harbour, gulls", "user", 1],
    ]);
  });

  it("keeps ids across runs, renames and retires topics, and never links deleted entries", async () => {
    const user = await registerUser();
    const harbour = await seedAnalysed(user.id, themes.harbour);
    const running = await seedAnalysed(user.id, themes.running);
    const first = await runningDiscoveryJob(user.id);
    await deliverTopics(first, user.id, [topic("harbour, gulls", harbour), topic("run, marathon", running)]);
    const [harbourTopic, runTopic] = (await listTopics(user)).filter((t) => t.kind === "discovered");

    const late = await seedAnalysed(user.id, ["Fish and chips on the harbour wall."]);
    const money = await seedAnalysed(user.id, themes.money);
    const second = await runningDiscoveryJob(user.id);
    // The next run's body carries the previous topics, so the node can continue them.
    const body = await builtBody(second);
    expect(body.model).toBe(MODEL);
    expect(body.entries).toHaveLength(9);
    expect(body.entries.every((e) => e.embedding?.length === 3)).toBe(true);
    expect(body.previous.map((p) => [p.id, [...p.memberIds].sort(), p.centroid.length]).sort()).toEqual(
      [
        [harbourTopic?.id, [...harbour].sort(), 3],
        [runTopic?.id, [...running].sort(), 3],
      ].sort(),
    );

    // An entry deleted while the node works is not linked, whatever the answer says.
    const gone = harbour[2] ?? "";
    expect((await call(`/v1/entries/${gone}`, { method: "DELETE", token: user.accessToken })).status).toBe(
      204,
    );
    const outcome = await deliverTopics(
      second,
      user.id,
      [
        // The harbour topic continues under a new label; a third label collides with it.
        topic("harbour, fish", [...harbour, ...late], harbourTopic?.id),
        topic("card, pounds", money),
        topic("harbour, fish", [uuidv7()]),
      ],
      [runTopic?.id ?? ""],
    );
    expect(outcome).toBe("applied");
    const after = (await listTopics(user)).filter((t) => t.kind === "discovered");
    expect(after.map((t) => [t.name, t.entryCount])).toEqual([
      ["card, pounds", 2],
      ["harbour, fish", 3],
      ["harbour, fish (2)", 0],
    ]);
    expect(after.find((t) => t.name === "harbour, fish")?.id).toBe(harbourTopic?.id);
    expect(after.map((t) => t.id)).not.toContain(runTopic?.id);
    const links = await testDb().select().from(entryTopics).where(eq(entryTopics.userId, user.id));
    expect(links.map((l) => l.entryId)).not.toContain(gone);
    expect(links.filter((l) => running.includes(l.entryId))).toEqual([]);
  });

  it("keeps the name a writer gave a discovered topic while later runs continue it", async () => {
    const user = await registerUser();
    const harbour = await seedAnalysed(user.id, themes.harbour);
    const running = await seedAnalysed(user.id, themes.running);
    const first = await runningDiscoveryJob(user.id);
    await deliverTopics(first, user.id, [topic("harbour, gulls", harbour), topic("run, marathon", running)]);
    const [harbourTopic, runTopic] = (await listTopics(user)).filter((t) => t.kind === "discovered");
    const renamed = await call(`/v1/topics/${harbourTopic?.id}`, {
      method: "PATCH",
      token: user.accessToken,
      body: { name: "Mornings by the sea" },
    });
    expect(renamed.status).toBe(200);

    const second = await runningDiscoveryJob(user.id);
    // The run relabels both topics, and a new one's label collides with the writer's chosen name.
    const outcome = await deliverTopics(second, user.id, [
      topic("harbour, boats", harbour, harbourTopic?.id),
      topic("track, intervals", running, runTopic?.id),
      topic("mornings by the sea", [uuidv7()]),
    ]);
    expect(outcome).toBe("applied");
    const after = (await listTopics(user)).filter((t) => t.kind === "discovered");
    expect(after.find((t) => t.id === harbourTopic?.id)).toMatchObject({
      name: "Mornings by the sea",
      keywords: ["harbour", "boats"],
      entryCount: 3,
    });
    expect(after.find((t) => t.id === runTopic?.id)?.name).toBe("track, intervals");
    expect(after.map((t) => t.name)).toContain("mornings by the sea (2)");
  });

  it("drops a result for an account deleted meanwhile", async () => {
    const user = await registerUser();
    const ids = await seedAnalysed(user.id, themes.harbour);
    const jobId = await runningDiscoveryJob(user.id);
    const res = await call("/v1/me", {
      method: "DELETE",
      token: user.accessToken,
      body: { password: user.password },
    });
    expect(res.status).toBe(202);
    expect(await deliverTopics(jobId, user.id, [topic("harbour, gulls", ids)])).toBe("unknown-job");
    expect(await testDb().select().from(topics).where(eq(topics.userId, user.id))).toEqual([]);

    // An account marked deleted but not yet removed gets nothing written either.
    const other = await registerUser();
    const otherIds = await seedAnalysed(other.id, themes.running);
    const otherJob = await runningDiscoveryJob(other.id);
    await testDb().update(users).set({ deletedAt: new Date() }).where(eq(users.id, other.id));
    expect(await deliverTopics(otherJob, other.id, [topic("run", otherIds)])).toBe("discarded-stale");
    expect(await testDb().select().from(topics).where(eq(topics.userId, other.id))).toEqual([]);
  });

  it("answers an unreadable result as a failed attempt, handed to another node", async () => {
    const user = await registerUser();
    const jobId = await runningDiscoveryJob(user.id);
    const body = await deliveredCallback({
      answer: { jobId, topics: "nope" },
      source: { jobId, attempt: 1 },
    });
    const res = await postSigned(CALLBACK, body);
    expect((await json<{ outcome: string }>(res, 200)).outcome).toBe("requeued");
    const [row] = await testDb().select().from(jobs).where(eq(jobs.id, jobId));
    expect(row?.status).toBe("queued");
    expect(await testDb().select().from(topics).where(eq(topics.userId, user.id))).toEqual([]);
  });
});

describe("tenancy", () => {
  it("keeps every writer's discovered topics and entries to themselves", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const aliceEntries = await seedAnalysed(alice.id, themes.harbour);
    const bobEntry = await createEntry(bob, { content: "Bob's harbour, not Alice's." });

    // A body for Alice holds only her live entries.
    const aliceJob = await runningDiscoveryJob(alice.id);
    const body = await builtBody(aliceJob);
    expect(body.userId).toBe(alice.id);
    expect(body.entries.map((e) => e.id).sort()).toEqual([...aliceEntries].sort());

    // An answer naming Bob's entry links only Alice's.
    expect(
      await deliverTopics(aliceJob, alice.id, [topic("harbour, gulls", [...aliceEntries, bobEntry.id])]),
    ).toBe("applied");
    const [discovered] = (await listTopics(alice)).filter((t) => t.kind === "discovered");
    expect(discovered?.entryCount).toBe(3);
    const bobView = entrySchema.parse(
      await json(await call(`/v1/entries/${bobEntry.id}`, { token: bob.accessToken }), 200),
    );
    expect(bobView.topicIds).toEqual([]);

    // Bob sees none of it, and Alice's topic id is a 404 to him everywhere.
    expect((await listTopics(bob)).filter((t) => t.kind === "discovered")).toEqual([]);
    const id = discovered?.id ?? "";
    await expectProblem(await call(`/v1/topics/${id}/entries`, { token: bob.accessToken }), 404, "NOT_FOUND");
    await expectProblem(
      await call(`/v1/topics/${id}`, { method: "PATCH", token: bob.accessToken, body: { name: "mine" } }),
      404,
      "NOT_FOUND",
    );
    await expectProblem(
      await call(`/v1/topics/${id}`, { method: "DELETE", token: bob.accessToken }),
      404,
      "NOT_FOUND",
    );
    const filtered = await json<{ items: unknown[] }>(
      await call(`/v1/entries?topicId=${id}`, { token: bob.accessToken }),
      200,
    );
    expect(filtered.items).toEqual([]);
    const insights = await json<TopicInsights>(
      await call("/v1/insights/topics", { token: bob.accessToken }),
      200,
    );
    expect(insights.items).toEqual([]);

    // A result that claims to be about Bob, delivered for Alice's job, is dropped.
    const next = await runningDiscoveryJob(alice.id);
    expect(await deliverTopics(next, bob.id, [topic("stolen", aliceEntries)])).toBe("discarded-stale");
    expect(await testDb().select().from(topics).where(eq(topics.userId, bob.id))).toEqual([]);
  });
});

describe("the job body", () => {
  it("waits for a node that serves an embedding model and stays within the size budget", async () => {
    const user = await registerUser();
    const long = "word ".repeat(1000);
    await seedAnalysed(
      user.id,
      Array.from({ length: 300 }, (_, i) => `${i} ${long}`),
      {
        embedding: Array.from({ length: 512 }, (_, i) => Math.sin(i) / 16),
      },
    );
    const jobId = uuidv7();
    await testDb().insert(jobs).values({ id: jobId, userId: user.id, kind: "discover-topics" });
    const body = await builtBody(jobId);
    const size = new TextEncoder().encode(JSON.stringify(body)).length;
    expect(size).toBeLessThanOrEqual(TOPIC_JOB_MAX_BODY_BYTES);
    expect(body.entries.length).toBeGreaterThan(100);
    expect(body.entries.every((e) => e.text.length <= 2000)).toBe(true);
    // Vectors for the newest entries while they fit; the node embeds the rest.
    expect(body.entries[0]?.embedding).toHaveLength(512);
    expect(body.entries.at(-1)?.embedding).toBeUndefined();

    const outcome = await dispatchJob(deps(), jobId);
    expect(outcome.outcome).toBe("waiting");
    if (outcome.outcome === "waiting") expect(outcome.reason).toContain("embedding");
  });
});

/** A signed analysis callback, delivered through an app with low discovery thresholds. */
async function deliverAnalysis(jobId: string, entryId: string): Promise<string> {
  const body = await deliveredCallback({
    answer: analysisResult(jobId, entryId, 1),
    source: { jobId, attempt: 1, entryId, contentVersion: 1 },
  });
  const res = await callWithEnv(
    { TOPIC_DISCOVERY_MIN_NEW_ENTRIES: "3", TOPIC_DISCOVERY_MIN_ENTRIES: "3" },
    CALLBACK,
    {
      body,
      headers: {
        "Content-Type": "application/json",
        "Upstash-Signature": await qstashSignature(publicUrl(CALLBACK), body),
      },
    },
  );
  return (await json<{ outcome: string }>(res, 200)).outcome;
}

describe("when discovery runs", () => {
  it("queues one run after enough newly analysed entries, and the next only after as many more", async () => {
    const user = await registerUser();
    const written: Entry[] = [];
    for (let i = 0; i < 6; i++) written.push(await createEntry(user, { content: `Entry number ${i}.` }));
    const analyse = async (i: number) =>
      expect(await deliverAnalysis(written[i]?.jobId ?? "", written[i]?.id ?? "")).toBe("applied");

    await analyse(0);
    await analyse(1);
    expect(await discoveryJobs(user.id)).toHaveLength(0);
    await analyse(2);
    const [queued] = await discoveryJobs(user.id);
    expect(queued?.status).toMatch(/queued|running/);
    await analyse(3);
    expect(await discoveryJobs(user.id)).toHaveLength(1);

    await testDb()
      .update(jobs)
      .set({ status: "done" })
      .where(eq(jobs.id, queued?.id ?? ""));
    await analyse(4);
    expect(await discoveryJobs(user.id)).toHaveLength(1);
    await analyse(5);
    expect(await discoveryJobs(user.id)).toHaveLength(2);
  });

  it("lets the writer ask for a run, returning the one already queued", async () => {
    const user = await registerUser();
    const first = await json<{ jobId: string; created: boolean }>(
      await call("/v1/topics/discover", { method: "POST", token: user.accessToken }),
      202,
    );
    expect(first.created).toBe(true);
    const again = await json<{ jobId: string; created: boolean }>(
      await call("/v1/topics/discover", { method: "POST", token: user.accessToken }),
      202,
    );
    expect(again).toEqual({ jobId: first.jobId, created: false });
    const job = await json<{ kind: string }>(
      await call(`/v1/jobs/${first.jobId}`, { token: user.accessToken }),
      200,
    );
    expect(job.kind).toBe("discover-topics");
    await expectProblem(await call("/v1/topics/discover", { method: "POST" }), 401, "UNAUTHENTICATED");
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await call("/openapi.json"),
      200,
    );
    expect(Object.keys(doc.paths["/v1/topics/discover"] ?? {})).toEqual(["post"]);
  });

  it("returns the last finished run while nothing changed, and starts a new one after a new or deleted entry", async () => {
    const user = await registerUser();
    const earlier = new Date(Date.now() - 60_000);
    const ids = await seedAnalysed(user.id, themes.harbour, { analyzedAt: earlier });
    const discover = async () =>
      await json<{ jobId: string; created: boolean }>(
        await call("/v1/topics/discover", { method: "POST", token: user.accessToken }),
        202,
      );
    const last = await runningDiscoveryJob(user.id);
    expect(await deliverTopics(last, user.id, [topic("harbour, gulls", ids)])).toBe("applied");

    expect(await discover()).toEqual({ jobId: last, created: false });

    await seedAnalysed(user.id, ["A new day by the harbour."]);
    const afterNew = await discover();
    expect(afterNew.created).toBe(true);

    // Finish that run too; then a deleted entry is a change as well.
    await testDb()
      .update(jobs)
      .set({ status: "done", finishedAt: new Date() })
      .where(eq(jobs.id, afterNew.jobId));
    expect(await discover()).toEqual({ jobId: afterNew.jobId, created: false });
    const res = await call(`/v1/entries/${ids[0]}`, { method: "DELETE", token: user.accessToken });
    expect(res.status).toBe(204);
    expect((await discover()).created).toBe(true);
  });

  it("runs daily for writers with new entries, idempotently", async () => {
    const task = cronTasks.find((t) => t.name === "topic-discovery");
    expect(task?.crons).toEqual(["30 3 * * *"]);
    const ctx = () => ({
      env: {} as never,
      config: config({ TOPIC_DISCOVERY_MIN_ENTRIES: "12" }),
      db: testDb(),
      scheduledTime: new Date(),
      waitUntil: () => {},
    });
    const writer = await registerUser();
    const few = await registerUser();
    await seedAnalysed(
      writer.id,
      Array.from({ length: 12 }, (_, i) => `Day ${i} by the sea.`),
    );
    await seedAnalysed(
      few.id,
      Array.from({ length: 11 }, (_, i) => `Day ${i} at work.`),
    );

    await task?.run(ctx());
    const [job] = await discoveryJobs(writer.id);
    expect(job?.status).toBe("queued");
    expect(await discoveryJobs(few.id)).toHaveLength(0);
    await task?.run(ctx());
    expect(await discoveryJobs(writer.id)).toHaveLength(1);

    // Done, and nothing new since: the next day queues nothing; one new entry later, it does.
    await testDb()
      .update(jobs)
      .set({ status: "done" })
      .where(eq(jobs.id, job?.id ?? ""));
    await task?.run(ctx());
    expect(await discoveryJobs(writer.id)).toHaveLength(1);
    await seedAnalysed(writer.id, ["One more day by the sea."], { analyzedAt: new Date(Date.now() + 1000) });
    await task?.run(ctx());
    expect(await discoveryJobs(writer.id)).toHaveLength(2);
  });

  it("never counts deleted entries towards a run", async () => {
    const user = await registerUser();
    const ids = await seedAnalysed(user.id, ["a", "b", "c"]);
    await testDb()
      .update(entries)
      .set({ deletedAt: new Date() })
      .where(eq(entries.id, ids[0] ?? ""));
    const { queueTopicDiscovery } = await import("../../src/services/topic-discovery.ts");
    expect(await queueTopicDiscovery(testDb(), user.id, { minNew: 3, minTotal: 3 })).toBeUndefined();
    await seedAnalysed(user.id, ["d"]);
    expect(await queueTopicDiscovery(testDb(), user.id, { minNew: 3, minTotal: 3 })).toMatchObject({
      created: true,
    });
  });
});
