import { writerVectorCollectionName } from "@inkwell/shared";
import { ChromaClient } from "chromadb";
import type postgres from "postgres";
import type { RequestLog } from "./careful-client.ts";
import type { WriterState } from "./load.ts";

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** What was counted, and on failure which rows break it (at most a few ids). */
  detail: string;
}

type Sql = ReturnType<typeof postgres>;

const sample = (ids: string[]) => (ids.length > 5 ? `${ids.slice(0, 5).join(", ")} …` : ids.join(", "));

/** The writer's create number, which makes each create's text unique ("Writer 3, entry 17:"). */
const createTag = (content: string) => content.slice(0, content.indexOf(":"));

/**
 * Checks, once the system has settled, that nothing was lost, nothing done twice and nothing left
 * half-done: from what the writers were told, from Postgres, and from Chroma.
 */
export async function checkInvariants(input: {
  sql: Sql;
  chromaUrl: string;
  writers: WriterState[];
  log: RequestLog;
}): Promise<InvariantResult[]> {
  const { sql, writers } = input;
  const results: InvariantResult[] = [];
  const userIds = writers.map((w) => w.userId);
  const rows = await sql<
    {
      id: string;
      user_id: string;
      content: string;
      deleted: boolean;
      content_version: number;
      analysis_status: string | null;
      analysis_version: number | null;
      embedding_version: number | null;
      embedding_model: string | null;
    }[]
  >`
    select e.id, e.user_id, e.content, e.deleted_at is not null as deleted, e.content_version,
      a.status as analysis_status, a.content_version as analysis_version,
      m.content_version as embedding_version, m.model as embedding_model
    from entries e
      left join entry_analyses a on a.entry_id = e.id
      left join entry_embeddings m on m.entry_id = e.id
    where e.user_id = any(${userIds}::uuid[])`;
  const byId = new Map(rows.map((r) => [r.id, r]));

  // 1. Every acknowledged entry exists, once; nothing else exists but what an unanswered create made.
  // Each row is matched to the create that wrote it by its text's tag, so every row is counted once: as
  // the acknowledged entry, as what a create the client gave up on made (one at most), as a second copy
  // of a create (duplicated), or as unexplained (a create answered with an error, or none at all).
  const lost: string[] = [];
  const unexpected: string[] = [];
  const duplicated: string[] = [];
  let givenUpMade = 0;
  for (const writer of writers) {
    for (const known of writer.entries.values()) {
      if (!byId.has(known.id) && !known.deleted && !known.maybeDeleted) lost.push(known.id);
    }
    const tags = new Map<string, string[]>();
    for (const r of rows.filter((row) => row.user_id === writer.userId)) {
      tags.set(createTag(r.content), [...(tags.get(createTag(r.content)) ?? []), r.id]);
    }
    for (const [tag, ids] of tags) {
      const create = writer.creates.get(tag);
      if (create?.kind === "acknowledged") {
        duplicated.push(...ids.filter((id) => id !== create.id).map((id) => `${id} (a second ${tag})`));
      } else if (create?.kind === "gave-up") {
        givenUpMade++;
        duplicated.push(...ids.slice(1).map((id) => `${id} (a second ${tag})`));
      } else {
        const why = create ? `answered ${create.status}` : "never sent";
        unexpected.push(...ids.map((id) => `${id} (${tag}, ${why})`));
      }
    }
  }
  const acknowledged = writers.reduce((n, w) => n + w.entries.size, 0);
  results.push({
    name: "every acknowledged entry exists exactly once",
    ok: lost.length === 0 && unexpected.length === 0 && duplicated.length === 0,
    detail:
      `${acknowledged} acknowledged, ${rows.length} in Postgres (${givenUpMade} made by creates the client gave up on); ` +
      `lost ${lost.length}${lost.length ? ` (${sample(lost)})` : ""}, ` +
      `second copies ${duplicated.length}${duplicated.length ? ` (${sample(duplicated)})` : ""}, ` +
      `unexplained ${unexpected.length}${unexpected.length ? ` (${sample(unexpected)})` : ""}`,
  });

  // 2. The final content is the last acknowledged write (or one the client gave up on); deletes held.
  const wrongContent: string[] = [];
  const undeleted: string[] = [];
  let checked = 0;
  for (const writer of writers) {
    for (const known of writer.entries.values()) {
      const row = byId.get(known.id);
      if (!row || known.maybeDeleted) continue;
      checked++;
      if (known.deleted) {
        if (!row.deleted) undeleted.push(known.id);
      } else if (row.deleted || (row.content !== known.content && !known.maybe.includes(row.content))) {
        wrongContent.push(known.id);
      }
    }
  }
  results.push({
    name: "each entry holds its final content; deleted entries stay deleted",
    ok: wrongContent.length === 0 && undeleted.length === 0,
    detail: `${checked} checked; wrong content ${wrongContent.length}${wrongContent.length ? ` (${sample(wrongContent)})` : ""}, deleted but back ${undeleted.length}${undeleted.length ? ` (${sample(undeleted)})` : ""}`,
  });

  // 3. Each live entry's final content version is analysed and embedded; nothing of an older version.
  const live = rows.filter((r) => !r.deleted);
  const notAnalysed = live.filter((r) => r.analysis_status !== "done").map((r) => r.id);
  const stale = live
    .filter(
      (r) =>
        r.analysis_status === "done" &&
        (r.analysis_version !== r.content_version || r.embedding_version !== r.content_version),
    )
    .map((r) => r.id);
  results.push({
    name: "each live entry's final version is analysed, none by an older version",
    ok: notAnalysed.length === 0 && stale.length === 0,
    detail: `${live.length} live; not analysed ${notAnalysed.length}${notAnalysed.length ? ` (${sample(notAnalysed)})` : ""}, older version ${stale.length}${stale.length ? ` (${sample(stale)})` : ""}`,
  });

  // 4. No content version was analysed twice.
  const twice = await sql<{ entry_id: string; version: string; n: number }[]>`
    select entry_id, payload->>'contentVersion' as version, count(*)::int as n
    from jobs where kind = 'analyze-entry' and status = 'done' and user_id = any(${userIds}::uuid[])
    group by entry_id, payload->>'contentVersion' having count(*) > 1`;
  results.push({
    name: "no content version analysed twice",
    ok: twice.length === 0,
    detail: `${twice.length} entry versions with more than one finished analysis${twice.length ? ` (${sample(twice.map((t) => `${t.entry_id}@${t.version}`))})` : ""}`,
  });

  // 5. Chroma holds exactly the vectors Postgres says it should.
  const chroma = new URL(input.chromaUrl);
  const client = new ChromaClient({ host: chroma.hostname, port: Number(chroma.port), ssl: false });
  const allIds = [...new Set([...rows.map((r) => r.id), ...writers.flatMap((w) => [...w.entries.keys()])])];
  const models = [...new Set(rows.map((r) => r.embedding_model).filter((m): m is string => m !== null))];
  const expected = new Set(live.filter((r) => r.embedding_model !== null).map((r) => r.id));
  const inChroma = new Set<string>();
  // Each writer's own collection of each model (a writer with nothing indexed yet has none).
  for (const model of models) {
    for (const userId of userIds) {
      let collection: Awaited<ReturnType<ChromaClient["getCollection"]>>;
      try {
        collection = await client.getCollection({ name: writerVectorCollectionName(model, userId) });
      } catch (error) {
        if ((error as Error).name === "ChromaNotFoundError") continue;
        throw error;
      }
      for (let i = 0; i < allIds.length; i += 200) {
        const got = await collection.get({ ids: allIds.slice(i, i + 200), include: [] });
        for (const id of got.ids) inChroma.add(id);
      }
    }
  }
  const missing = [...expected].filter((id) => !inChroma.has(id));
  const extraVectors = [...inChroma].filter((id) => !expected.has(id));
  // A live entry's vector with no embedding in Postgres: a node indexed it but its answer never landed
  // (an analysis that failed); anything else belongs to a deleted or unknown entry.
  const liveIds = new Set(live.map((r) => r.id));
  const unrecorded = extraVectors.filter((id) => liveIds.has(id));
  const ofDeleted = extraVectors.filter((id) => !liveIds.has(id));
  results.push({
    name: "Chroma holds exactly the vectors Postgres names",
    ok: missing.length === 0 && extraVectors.length === 0,
    detail:
      `${expected.size} expected, ${inChroma.size} found; missing ${missing.length}${missing.length ? ` (${sample(missing)})` : ""}, ` +
      `of live entries without a recorded analysis ${unrecorded.length}${unrecorded.length ? ` (${sample(unrecorded)})` : ""}, ` +
      `of deleted or unknown entries ${ofDeleted.length}${ofDeleted.length ? ` (${sample(ofDeleted)})` : ""}`,
  });

  // 6. No job is stuck; a failed one says why.
  const jobs = await sql<{ status: string; n: number; unexplained: number }[]>`
    select status, count(*)::int as n, count(*) filter (where error is null)::int as unexplained
    from jobs group by status`;
  const count = (status: string) => jobs.find((j) => j.status === status)?.n ?? 0;
  const failedUnexplained = jobs.find((j) => j.status === "failed")?.unexplained ?? 0;
  results.push({
    name: "no job stuck; every failed job says why",
    ok: count("queued") + count("running") === 0 && failedUnexplained === 0,
    detail:
      jobs.map((j) => `${j.status} ${j.n}`).join(", ") +
      (failedUnexplained ? `; ${failedUnexplained} failed without a reason` : ""),
  });

  // 7. No answer was a 500 (an outage answers 503 with Retry-After).
  const fiveHundreds = input.log.records.filter(
    (r) => typeof r.status === "number" && r.status >= 500 && r.status !== 503,
  );
  results.push({
    name: "no 5xx other than 503",
    ok: fiveHundreds.length === 0,
    detail: `${fiveHundreds.length} of ${input.log.records.length}${fiveHundreds.length ? ` (${[...new Set(fiveHundreds.map((r) => `${r.status} ${r.route}`))].join("; ")})` : ""}`,
  });

  // 8. Retried creates made one entry each (counted in 1; named here for the report).
  const retried = writers.reduce((n, w) => n + w.retriedCreates, 0);
  results.push({
    name: "idempotent retries made no duplicates",
    ok: duplicated.length === 0,
    detail: `${retried} creates answered after a retry, ${duplicated.length} second copies of a create`,
  });
  return results;
}
