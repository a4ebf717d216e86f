import { writerVectorCollectionName } from "@inkwell/shared";
import type { ChromaClient } from "chromadb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack } from "../../src/testing/test-stack.ts";
import { analysisCounts, api, type Client, chroma, database, eventually, type Sql } from "./helpers.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

/**
 * The index repairs itself from Postgres, with real processes (the Worker, the QStash stand-in, a node,
 * Postgres and Chroma): vectors that go missing from Chroma behind the system's back come back, a
 * deleted entry's stray vector goes, and an entry edited meanwhile keeps only its latest vector.
 */
describe("Chroma repaired from Postgres", () => {
  let stack: RunningStack;
  let sql: Sql;
  let client: ReturnType<typeof api>;
  let store: ChromaClient;
  let model: string | undefined;

  /** Fires a Cron Trigger now (`wrangler dev --test-scheduled`), standing in for the clock. */
  const cron = async (expression: string) => {
    const res = await fetch(`${stack.edgeUrl}/__scheduled?cron=${encodeURIComponent(expression)}`);
    await res.body?.cancel();
  };
  const openReconcileJobs = async () => {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from jobs
      where kind in ('reconcile-vectors', 'purge-entry-vectors', 'purge-user-vectors')
        and status in ('queued', 'running')`;
    return row?.n ?? 0;
  };
  /** Until nothing of the reconciliation (nor a purge it queued) is queued or running, the minute sweep firing between looks. */
  const reconciled = async (what: string) =>
    await eventually(async () => (await openReconcileJobs()) === 0, {
      timeoutMs: 90_000,
      between: () => client.sweep(),
      what,
    });
  /** The daily pass (03:30 UTC), run to its end. */
  const dailyPass = async () => {
    await cron("30 3 * * *");
    expect(await openReconcileJobs()).toBeGreaterThan(0);
    await reconciled("the reconciliation pass to end");
  };

  const analysed = async (ids: string[]) =>
    await eventually(async () => (await analysisCounts(sql, ids)).done === ids.length, {
      timeoutMs: 90_000,
      between: () => client.sweep(),
      what: `${ids.length} analyses`,
    });

  /** The node's embedding model, learnt from the first vector Postgres holds. */
  const embeddingModel = async () => {
    if (model === undefined) {
      const [row] = await sql<{ model: string }[]>`select model from entry_embeddings limit 1`;
      if (!row) throw new Error("no entry analysed yet");
      model = row.model;
    }
    return model;
  };
  const collectionOf = async (writer: Client) =>
    await store.getCollection({ name: writerVectorCollectionName(await embeddingModel(), writer.userId) });
  /** The entries' vectors as the writer's collection holds them: id → content version and vector. */
  const indexed = async (writer: Client, ids: string[]) => {
    const got = await (await collectionOf(writer)).get({ ids, include: ["metadatas", "embeddings"] });
    return new Map(
      got.ids.map((id, i) => [
        id,
        { version: got.metadatas[i]?.contentVersion, embedding: [...(got.embeddings[i] ?? [])] },
      ]),
    );
  };
  const embeddingOf = async (entryId: string) => {
    const [row] = await sql<{ embedding: number[]; version: number; indexed: boolean }[]>`
      select embedding, content_version as version, indexed_at is not null as indexed
      from entry_embeddings where entry_id = ${entryId}`;
    return row;
  };

  beforeAll(async () => {
    stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge"], "vector-repair", {
      edgeVars: { RATE_LIMIT_USER_PER_MINUTE: "100000", RATE_LIMIT_IP_PER_MINUTE: "100000" },
    });
    sql = database(stack.databaseUrl);
    client = api(stack.edgeUrl);
    store = chroma(stack.chromaUrl);
    await stack.startNode("a");
  }, 180_000);

  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await stack?.stop();
  });

  it("vectors removed from Chroma behind the system's back come back at the daily reconciliation", async () => {
    const writer = await client.register();
    const written = [];
    for (const text of [
      "Walked to the market in the rain and bought pears.",
      "Called my sister; we laughed about the old caravan holidays.",
      "Could not sleep, so I read until the birds started.",
      "Finished the bookshelf at last. The left side leans a little.",
    ]) {
      written.push(await client.createEntry(writer, text));
    }
    const ids = written.map((e) => e.id);
    await analysed(ids);
    const before = await indexed(writer, ids);
    expect(before.size).toBe(ids.length);

    // Lost from the index with nobody told: as a Chroma killed after acknowledging them might.
    const lost = ids.slice(0, 3);
    await (await collectionOf(writer)).delete({ ids: lost });
    expect((await indexed(writer, ids)).size).toBe(1);

    await dailyPass();
    const after = await indexed(writer, ids);
    expect([...after.keys()].sort()).toEqual([...ids].sort());
    for (const id of lost) {
      const source = await embeddingOf(id);
      // Postgres's vector, of the version Postgres holds, confirmed indexed.
      expect(after.get(id)?.version).toBe(source?.version);
      expect(after.get(id)?.embedding.map((x) => Math.fround(x))).toEqual(
        source?.embedding.map((x) => Math.fround(x)),
      );
      expect(source?.indexed).toBe(true);
    }
  }, 240_000);

  it("a deleted entry's stray vector is removed and not brought back", async () => {
    const writer = await client.register();
    const kept = await client.createEntry(writer, "The tomatoes on the balcony finally turned red.");
    const gone = await client.createEntry(writer, "A note I regret writing.");
    await analysed([kept.id, gone.id]);
    const stray = (await indexed(writer, [gone.id])).get(gone.id);
    expect(stray).toBeDefined();
    const res = await client.request(`/v1/entries/${gone.id}`, { method: "DELETE", token: writer.token });
    expect(res.status).toBe(204);
    await eventually(async () => (await indexed(writer, [gone.id])).size === 0, {
      timeoutMs: 60_000,
      between: () => client.sweep(),
      what: "the delete's purge",
    });

    // A late write puts the deleted entry's vector back behind the purge.
    await (await collectionOf(writer)).upsert({
      ids: [gone.id],
      embeddings: [stray?.embedding ?? []],
      metadatas: [{ userId: writer.userId, entryId: gone.id, occurredAtMs: Date.now(), contentVersion: 1 }],
    });
    await dailyPass();
    const after = await indexed(writer, [kept.id, gone.id]);
    expect([...after.keys()]).toEqual([kept.id]);
  }, 240_000);

  it("an entry edited meanwhile ends with its latest vector only", async () => {
    const writer = await client.register();
    const entry = await client.createEntry(writer, "First draft: the garden is a mess.");
    await analysed([entry.id]);
    const edit = await client.request(`/v1/entries/${entry.id}`, {
      method: "PATCH",
      token: writer.token,
      body: { content: "Second draft: the garden is a mess, and I love it that way." },
    });
    expect(edit.status, await edit.text()).toBe(200);
    await eventually(async () => (await embeddingOf(entry.id))?.version === 2, {
      timeoutMs: 90_000,
      between: () => client.sweep(),
      what: "the edit's analysis",
    });
    const latest = (await indexed(writer, [entry.id])).get(entry.id);
    expect(latest?.version).toBe(2);

    // Postgres is set back to a first-draft vector, reported unindexed: as when a restore reads Postgres
    // before the second draft's answer lands, while that analysis has already written Chroma. The
    // restore goes out, and must not put the older vector over the newer one.
    const older = latest?.embedding.map((x, i) => (i === 0 ? x + 0.5 : x)) ?? [];
    await sql`
      update entry_embeddings set content_version = 1, embedding = ${older}::real[], indexed_at = null
      where entry_id = ${entry.id}`;
    await sql`
      update jobs set result = result || '{"indexed": false}'::jsonb
      where entry_id = ${entry.id} and kind = 'analyze-entry'`;
    await client.sweep();
    await reconciled("the restore to be applied");
    const [restore] = await sql<{ status: string; sent: Record<string, number> }[]>`
      select status, payload->'sent' as sent from jobs
      where kind = 'reconcile-vectors' and payload->'restore'->'entryIds' ? ${entry.id}`;
    expect(restore).toEqual({ status: "done", sent: { [entry.id]: 1 } });
    await dailyPass();
    const after = (await indexed(writer, [entry.id])).get(entry.id);
    expect(after).toEqual(latest);
  }, 240_000);

  it("Chroma killed while entries are analysed: their vectors are restored once it is back", async () => {
    const writer = await client.register();
    const before = await client.createEntry(writer, "Written before the crash.");
    await analysed([before.id]);
    // kill -9, and Chroma stays down while the node analyses: it answers `indexed: false`.
    const pid = stack.pids().chroma;
    if (pid === undefined) throw new Error("Chroma is not running");
    process.kill(pid, "SIGKILL");
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      ids.push((await client.createEntry(writer, `Evening ${i}: tea, a short walk, an early night.`)).id);
    }
    // Each write dispatches its own analysis; no sweep meanwhile, so nothing is restored into a dead Chroma.
    await eventually(async () => (await analysisCounts(sql, ids)).done === ids.length, {
      timeoutMs: 90_000,
      what: "the analyses during the outage",
    });
    const [{ n: unindexed } = { n: 0 }] = await sql<{ n: number }[]>`
      select count(*)::int as n from jobs
      where kind = 'analyze-entry' and entry_id = any(${ids}::uuid[]) and result->>'indexed' = 'false'`;
    expect(unindexed).toBe(ids.length);

    await stack.restartChroma();
    const all = [before.id, ...ids];
    await eventually(
      async () => (await openReconcileJobs()) === 0 && (await indexed(writer, all)).size === all.length,
      { timeoutMs: 90_000, between: () => client.sweep(), what: "every vector back in the index" },
    );
    const [{ n: unconfirmed } = { n: 0 }] = await sql<{ n: number }[]>`
      select count(*)::int as n from entry_embeddings where entry_id = any(${all}::uuid[]) and indexed_at is null`;
    expect(unconfirmed).toBe(0);
  }, 240_000);

  it("an analysis that could not write its vector (Chroma down) is restored by the minute cron", async () => {
    const writer = await client.register();
    const entry = await client.createEntry(
      writer,
      "The power went out during dinner; we ate by candlelight.",
    );
    await analysed([entry.id]);
    // What the pipeline holds when the node's Chroma write failed: the analysis done and answered
    // `indexed: false`, the vector in Postgres unconfirmed, none in the index.
    await (await collectionOf(writer)).delete({ ids: [entry.id] });
    await sql`update entry_embeddings set indexed_at = null where entry_id = ${entry.id}`;
    await sql`
      update jobs set result = result || '{"indexed": false}'::jsonb
      where entry_id = ${entry.id} and kind = 'analyze-entry'`;

    await eventually(async () => (await indexed(writer, [entry.id])).has(entry.id), {
      timeoutMs: 60_000,
      between: () => client.sweep(),
      what: "the vector to be restored",
    });
    await reconciled("the restore to be applied");
    expect((await embeddingOf(entry.id))?.indexed).toBe(true);
    // Restored once: an entry confirmed indexed is not queued again.
    await client.sweep();
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from jobs
      where kind = 'reconcile-vectors' and payload->'restore'->'entryIds' ? ${entry.id}`;
    expect(row?.n).toBe(1);
  }, 240_000);

  it("an analysis that waited in the queue longer than the look-back is repaired by the minute cron too", async () => {
    const writer = await client.register();
    const entry = await client.createEntry(
      writer,
      "Queued through a long backlog, analysed while Chroma was down.",
    );
    await analysed([entry.id]);
    await (await collectionOf(writer)).delete({ ids: [entry.id] });
    await sql`update entry_embeddings set indexed_at = null where entry_id = ${entry.id}`;
    // Queued an hour ago (no node, a backlog), finished just now unable to index its vector.
    await sql`
      update jobs set result = result || '{"indexed": false}'::jsonb,
        available_at = now() - interval '1 hour', created_at = now() - interval '1 hour'
      where entry_id = ${entry.id} and kind = 'analyze-entry'`;

    await eventually(async () => (await indexed(writer, [entry.id])).has(entry.id), {
      timeoutMs: 60_000,
      between: () => client.sweep(),
      what: "the vector to be restored",
    });
    await reconciled("the restore to be applied");
    expect((await embeddingOf(entry.id))?.indexed).toBe(true);
  }, 240_000);
});
