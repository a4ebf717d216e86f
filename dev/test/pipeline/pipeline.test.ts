import { REINDEX_PAGE_SIZE, writerVectorCollectionName } from "@inkwell/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningNode } from "../../src/stack.ts";
import { startTestStack } from "../../src/testing/test-stack.ts";
import {
  analysisCounts,
  api,
  type Client,
  chroma,
  chromaIds,
  database,
  eventually,
  qstashSignature,
  type Sql,
} from "./helpers.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

/**
 * The whole pipeline with real processes: the Worker under wrangler dev, the QStash stand-in, inference
 * nodes loading the offline-built models, Postgres, Redis and Chroma. One stack, steps in order: the
 * node pool changes as the file goes on (none → one → two → one killed).
 */
describe("the job pipeline, end to end", () => {
  let stack: RunningStack;
  let sql: Sql;
  let client: ReturnType<typeof api>;
  let writer: Client;
  let nodeA: RunningNode;
  let nodeB: RunningNode;
  let admin: Client;
  const sweep = () => client.sweep();

  const done = async (ids: string[], timeoutMs: number) =>
    await eventually(
      async () => {
        const counts = await analysisCounts(sql, ids);
        return counts.done === ids.length ? counts : undefined;
      },
      { timeoutMs, between: sweep, what: `${ids.length} analyses to be done` },
    );

  beforeAll(async () => {
    stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge"], "pipeline", {
      // A dead node drops out of scheduling within seconds; a burst is not throttled.
      edgeVars: {
        NODE_HEARTBEAT_TTL_SECONDS: "12",
        RATE_LIMIT_USER_PER_MINUTE: "100000",
        RATE_LIMIT_IP_PER_MINUTE: "100000",
      },
    });
    sql = database(stack.databaseUrl);
    client = api(stack.edgeUrl);
    writer = await client.register();
    const adminUser = await client.register();
    await sql`update users set role = 'admin' where id = ${adminUser.userId}`;
    admin = adminUser;
  }, 180_000);

  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await stack?.stop();
  });

  it("accepts entries with no node at all; they become done once a node appears", async () => {
    const entries = await Promise.all(
      ["Slept badly and the rain would not stop.", "A wonderful, sunny walk with my sister."].map((t) =>
        client.createEntry(writer, t),
      ),
    );
    const ids = entries.map((e) => e.id);
    const job = await eventually(
      async () => {
        const res = await client.request(`/v1/jobs/${entries[0]?.jobId}`, { token: writer.token });
        const body = (await res.json()) as { status: string; error: string | null };
        return body.error?.includes("healthy inference node") ? body : undefined;
      },
      { timeoutMs: 15_000, what: "the job to say it waits for a node" },
    );
    expect(job.status).toBe("queued");
    const ready = (await (await fetch(`${stack.edgeUrl}/health/ready`)).json()) as {
      checks: { nodes: { healthy: number } };
    };
    expect(ready.checks.nodes.healthy).toBe(0);

    nodeA = await stack.startNode("a");
    await done(ids, 60_000);
    const analysed = await client.entry(writer, ids[1] ?? "");
    expect(analysed.analysis).toMatchObject({
      status: "done",
      sentiment: { label: "positive" },
      safety: { level: "none" },
    });
    expect(analysed.analysis.emotions?.length).toBeGreaterThan(0);
    expect(analysed.analysis.keywords?.length).toBeGreaterThan(0);
    expect(analysed.analysis.model).toMatch(/\+/);
    expect(typeof analysed.analysis.analyzedAt).toBe("string");
    expect((await client.entry(writer, ids[0] ?? "")).analysis.sentiment?.label).toBe("negative");
  }, 120_000);

  it("keeps each vector in Postgres and in Chroma (a collection per model and writer, with user and date metadata)", async () => {
    const entry = await client.createEntry(writer, "Coffee with an old friend by the canal.");
    await done([entry.id], 30_000);
    const [vector] = await sql<{ model: string; dims: number; n: number; indexed: boolean }[]>`
      select model, dims, cardinality(embedding) as n, indexed_at is not null as indexed
      from entry_embeddings where entry_id = ${entry.id}`;
    expect(vector?.n).toBe(vector?.dims);
    expect(vector?.indexed).toBe(true);
    const store = chroma(stack.chromaUrl);
    const collection = await store.getCollection({
      name: writerVectorCollectionName(vector?.model ?? "", writer.userId),
    });
    const got = await collection.get({ ids: [entry.id], include: ["metadatas", "embeddings"] });
    expect(got.ids).toEqual([entry.id]);
    expect(got.metadatas[0]).toMatchObject({
      userId: writer.userId,
      entryId: entry.id,
      occurredAtMs: Date.parse(entry.occurredAt),
    });
    // Ids and numbers only: Chroma holds no text of the entry (docs/design/encryption.md).
    expect(got.metadatas[0]).not.toHaveProperty("occurredAt");
    expect(got.embeddings[0]?.length).toBe(vector?.dims);

    // Deleting the entry removes its vectors: from Postgres at once, from Chroma by the purge job.
    expect(
      (await client.request(`/v1/entries/${entry.id}`, { method: "DELETE", token: writer.token })).status,
    ).toBe(204);
    expect(await sql`select 1 from entry_embeddings where entry_id = ${entry.id}`).toHaveLength(0);
    await eventually(
      async () => (await chromaIds(store, vector?.model ?? "", writer.userId, [entry.id])).length === 0,
      {
        timeoutMs: 30_000,
        between: sweep,
        what: "the purge job to remove the vector from Chroma",
      },
    );
  }, 90_000);

  it("an edit during analysis ends with the analysis of the final text", async () => {
    const entry = await client.createEntry(writer, "Everything went wrong today and I am furious.");
    const res = await client.request(`/v1/entries/${entry.id}`, {
      method: "PATCH",
      token: writer.token,
      body: { content: "Everything went right today; I am grateful and happy." },
    });
    expect(res.status).toBe(200);
    await done([entry.id], 30_000);
    const final = await client.entry(writer, entry.id);
    expect(final.analysis.sentiment?.label).toBe("positive");
    const [row] = await sql<
      { content_version: number }[]
    >`select content_version from entry_embeddings where entry_id = ${entry.id}`;
    expect(row?.content_version).toBe(2);
  }, 60_000);

  it("refuses forged and tampered callbacks through the real Worker; a replayed genuine one changes nothing", async () => {
    const entry = await client.createEntry(writer, "A quiet evening.");
    await done([entry.id], 30_000);
    const [before] = await sql<
      { analyzed_at: Date; updated_at: Date }[]
    >`select analyzed_at, updated_at from entry_analyses where entry_id = ${entry.id}`;
    const url = `${stack.edgeUrl}/internal/qstash/callback`;
    const answer = {
      jobId: entry.jobId,
      entryId: entry.id,
      contentVersion: 1,
      embedding: [1],
      model: "forged",
      dims: 1,
      sentiment: { label: "negative", score: -1 },
      emotions: [],
      keywords: ["forged"],
      safety: { level: "critical", reasons: [] },
      models: { embedding: "forged", sentiment: "forged", emotion: "forged" },
    };
    const body = JSON.stringify({
      status: 200,
      body: Buffer.from(JSON.stringify(answer)).toString("base64"),
      sourceBody: Buffer.from(JSON.stringify({ jobId: entry.jobId, attempt: 1 })).toString("base64"),
    });
    const post = (signature: string) =>
      fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Upstash-Signature": signature },
        body,
      });
    expect((await post(await qstashSignature("sig_forged-key-0123456789abcdef", url, body))).status).toBe(
      401,
    );
    expect(
      (await post(await qstashSignature(stack.edgeVars.QSTASH_CURRENT_SIGNING_KEY ?? "", url, `${body} `)))
        .status,
    ).toBe(401);
    // Genuinely signed, but not a delivery the edge published for this job (no message of its own):
    // refused as unbound, nothing is written.
    const replay = await post(
      await qstashSignature(stack.edgeVars.QSTASH_CURRENT_SIGNING_KEY ?? "", url, body),
    );
    expect(await replay.json()).toMatchObject({ outcome: "unbound-delivery" });
    const [after] = await sql<
      { analyzed_at: Date; updated_at: Date }[]
    >`select analyzed_at, updated_at from entry_analyses where entry_id = ${entry.id}`;
    expect(after).toEqual(before);
    expect((await client.entry(writer, entry.id)).analysis.keywords).not.toContain("forged");
  }, 60_000);

  it("two nodes: a drained node gets no new work; a node killed mid-job loses none of it", async () => {
    nodeB = await stack.startNode("b");
    const nodes = async () =>
      (
        (await (await client.request("/v1/admin/nodes", { token: admin.token })).json()) as {
          items: { id: string; status: string }[];
        }
      ).items;
    await eventually(async () => (await nodes()).filter((n) => n.status === "healthy").length === 2, {
      timeoutMs: 30_000,
      what: "both nodes to be healthy",
    });

    // Drain B: everything goes to A.
    expect(
      (await client.request(`/v1/admin/nodes/${nodeB.id}/drain`, { method: "POST", token: admin.token }))
        .status,
    ).toBe(204);
    const drained = await Promise.all(
      Array.from({ length: 8 }, (_, i) => client.createEntry(writer, `Drain check ${i}: a calm day.`)),
    );
    await done(
      drained.map((e) => e.id),
      60_000,
    );
    const onB =
      await sql`select 1 from jobs where entry_id = any(${drained.map((e) => e.id)}::uuid[]) and node_id = ${nodeB.id}`;
    expect(onB).toHaveLength(0);

    // Freeze A (it accepts deliveries and answers nothing), write while it holds them, then kill it.
    nodeA.freeze();
    let stranded: Awaited<ReturnType<typeof client.createEntry>>[] = [];
    try {
      stranded = await Promise.all(
        Array.from({ length: 6 }, (_, i) => client.createEntry(writer, `Failover ${i}: the storm passed.`)),
      );
      await eventually(
        async () => {
          const rows = await sql<{ n: number }[]>`
            select count(*)::int as n from jobs where entry_id = any(${stranded.map((e) => e.id)}::uuid[])
              and status = 'running' and node_id = ${nodeA.id}`;
          return rows[0]?.n === stranded.length;
        },
        { timeoutMs: 15_000, what: "the jobs to be handed to node A" },
      );
    } finally {
      // Whatever happened above, the steps after this one need a working pool: B back, A gone.
      await client.request(`/v1/admin/nodes/${nodeB.id}/drain`, { method: "DELETE", token: admin.token });
      await nodeA.kill();
    }
    await done(
      stranded.map((e) => e.id),
      90_000,
    );
    const jobs = await sql<{ attempts: number; node_id: string; status: string }[]>`
      select attempts, node_id, status from jobs where entry_id = any(${stranded.map((e) => e.id)}::uuid[])`;
    expect(jobs.every((j) => j.status === "done" && j.node_id === nodeB.id && j.attempts >= 2)).toBe(true);
    expect((await nodes()).find((n) => n.id === nodeA.id)?.status).toBe("offline");
  }, 240_000);

  it("a burst of 300 entries from 20 clients, with QStash restarted mid-burst: 300 done, none lost, none twice", async () => {
    // One after another: sign-up is deliberately expensive (password hashing) and rate limited.
    const clients: Client[] = [];
    for (let i = 0; i < 20; i++) clients.push(await client.register());
    const started = Date.now();
    const ids: string[] = [];
    let restarted: Promise<void> | undefined;
    await Promise.all(
      clients.map(async (c, ci) => {
        for (let i = 0; i < 15; i++) {
          const entry = await client.createEntry(
            c,
            `Client ${ci}, entry ${i}: worked, cooked, called my brother, felt ${i % 2 ? "tired" : "hopeful"}.`,
          );
          ids.push(entry.id);
          if (ids.length === 100) restarted = stack.restartQStash();
        }
      }),
    );
    await restarted;
    const acceptedMs = Date.now() - started;
    await done(ids, 240_000);
    const totalMs = Date.now() - started;
    const userIds = clients.map((c) => c.userId);
    const [counts] = await sql<
      {
        entries: number;
        done: number;
        jobs: number;
        jobs_done: number;
        vectors: number;
        max_jobs_per_entry: number;
      }[]
    >`
      select
        (select count(*)::int from entries where user_id = any(${userIds}::uuid[])) as entries,
        (select count(*)::int from entry_analyses where user_id = any(${userIds}::uuid[]) and status = 'done') as done,
        (select count(*)::int from jobs where user_id = any(${userIds}::uuid[]) and kind = 'analyze-entry') as jobs,
        (select count(*)::int from jobs where user_id = any(${userIds}::uuid[]) and kind = 'analyze-entry' and status = 'done' and error is null) as jobs_done,
        (select count(*)::int from entry_embeddings where user_id = any(${userIds}::uuid[])) as vectors,
        (select coalesce(max(n), 0)::int from (select count(*) as n from jobs where user_id = any(${userIds}::uuid[]) group by entry_id) t) as max_jobs_per_entry`;
    expect(counts).toEqual({
      entries: 300,
      done: 300,
      jobs: 300,
      jobs_done: 300,
      vectors: 300,
      max_jobs_per_entry: 1,
    });
    console.log(
      `burst: 300 entries accepted in ${acceptedMs} ms, all analysed after ${totalMs} ms (one node)`,
    );
  }, 300_000);

  it("rebuilds a wiped Chroma from Postgres with a reindex, without re-embedding", async () => {
    const [{ model } = { model: "" }] = await sql<
      { model: string }[]
    >`select model from entry_embeddings limit 1`;
    const store = chroma(stack.chromaUrl);
    // Every writer's collection of the model: the whole index of that model is wiped.
    const writers = await sql<{ userId: string }[]>`
      select distinct x.user_id as "userId" from entry_embeddings e join entries x on x.id = e.entry_id
      where x.deleted_at is null and e.model = ${model}`;
    expect(writers.length).toBeGreaterThan(0);
    for (const { userId } of writers) {
      await store.deleteCollection({ name: writerVectorCollectionName(model, userId) });
    }
    const [{ n: expected } = { n: 0 }] = await sql<{ n: number }[]>`
      select count(*)::int as n from entry_embeddings e join entries x on x.id = e.entry_id where x.deleted_at is null and e.model = ${model}`;
    const res = await client.request("/v1/admin/reindex", { token: admin.token, body: { model } });
    expect(res.status).toBe(202);
    const pages = await eventually(
      async () => {
        const [open] = await sql<
          { n: number }[]
        >`select count(*)::int as n from jobs where kind = 'reindex' and status <> 'done'`;
        const [finished] = await sql<
          { n: number }[]
        >`select count(*)::int as n from jobs where kind = 'reindex' and status = 'done'`;
        return open?.n === 0 && (finished?.n ?? 0) > 0 ? finished?.n : undefined;
      },
      { timeoutMs: 60_000, between: sweep, what: "every reindex page to be done" },
    );
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(expected / REINDEX_PAGE_SIZE));
    let indexed = 0;
    for (const { userId } of writers) {
      indexed += await (
        await store.getCollection({ name: writerVectorCollectionName(model, userId) })
      ).count();
    }
    expect(indexed).toBe(expected);
  }, 90_000);
});
