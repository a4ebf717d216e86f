import { type SQL, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { emotionsSql, moodSql, topicCountsSql, writingSql } from "../../src/services/insights.ts";
import {
  moodByTimeSql,
  moodOverallSql,
  moodStabilitySql,
  moodTopicsSql,
} from "../../src/services/insights-mood-patterns.ts";
import { streaksSql, wordCountsSql } from "../../src/services/insights-writing-patterns.ts";
import { registerUser, testDb } from "../harness.ts";
import { seedTopic } from "./helpers.ts";

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}

async function planOf(query: SQL): Promise<PlanNode[]> {
  if (PRINT_PLANS) {
    const text = await testDb().execute<{ "QUERY PLAN": string }>(sql`explain (analyze, buffers) ${query}`);
    console.log(text.map((r) => r["QUERY PLAN"]).join("\n"));
  }
  const rows = await testDb().execute<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
    sql`explain (format json) ${query}`,
  );
  const plan = rows[0]?.["QUERY PLAN"][0]?.Plan;
  if (!plan) throw new Error("no plan");
  return flatten(plan);
}

/** Seeds a journal of `count` entries (one an hour from 2023-01-01) with analyses and topics, in SQL. */
async function seedJournal(userId: string, count: number, topicIds: string[]): Promise<void> {
  const db = testDb();
  await db.execute(sql`
    insert into entries (id, user_id, content, mood, word_count, occurred_at)
    select gen_random_uuid(), ${userId}::uuid, 'bulk', 1 + n % 10, 50 + n % 200,
           '2023-01-01T00:00:00Z'::timestamptz + n * interval '1 hour'
    from generate_series(1, ${count}) as n`);
  await db.execute(sql`
    insert into entry_analyses (entry_id, user_id, status, content_version, sentiment_label, sentiment_score, emotions, keywords)
    select id, user_id, 'done', 1, 'neutral', ((extract(epoch from occurred_at)::bigint % 200) - 100) / 100.0,
           jsonb_build_array(jsonb_build_object('label', 'joy', 'score', 0.6), jsonb_build_object('label', 'calm', 'score', 0.3)),
           array['walk', 'work']
    from entries where user_id = ${userId}::uuid`);
  await db.execute(sql`
    insert into entry_topics (entry_id, topic_id, user_id)
    select e.id, (${sql`array[${sql.join(
      topicIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )}]`})[1 + (row_number() over (order by e.id)) % ${topicIds.length}], e.user_id
    from entries e where e.user_id = ${userId}::uuid`);
}

/** Flip to see `explain (analyze, buffers)` of each query in the test output. */
const PRINT_PLANS = false;
const uses = (nodes: PlanNode[], index: string) => nodes.some((n) => n["Index Name"] === index);
/** Full scans of the big per-writer tables; a seq scan of a writer's few topics is the right plan. */
const bigTableScans = (nodes: PlanNode[]) =>
  nodes
    .filter((n) => n["Node Type"] === "Seq Scan")
    .map((n) => n["Relation Name"])
    .filter((name) => name === "entries" || name === "entry_analyses" || name === "entry_topics");

/*
 * The plans for a writer with 10,000 entries among 60,000: every insight reaches that writer's rows
 * through the (user_id, occurred_at) partial index, their analyses and topic links through per-user
 * indexes or primary keys; nothing reads a whole table of everyone's entries, analyses or links.
 */
describe("insight queries use the indexes (EXPLAIN)", () => {
  let userId = "";
  beforeAll(async () => {
    const user = await registerUser();
    const others = await registerUser();
    userId = user.id;
    const topics = [await seedTopic(user.id, "Work"), await seedTopic(user.id, "Walks")];
    const otherTopics = [await seedTopic(others.id, "Other")];
    await seedJournal(user.id, 10_000, topics);
    await seedJournal(others.id, 50_000, otherTopics);
    await testDb().execute(sql`analyze entries, entry_analyses, entry_topics, topics`);
  }, 120_000);

  const month = {
    from: new Date("2023-06-01T00:00:00Z"),
    to: new Date("2023-07-01T00:00:00Z"),
    defaulted: false,
  };

  it("mood, emotions and topics for a month", async () => {
    for (const query of [
      moodSql(userId, "Europe/Berlin", "day", month),
      emotionsSql(userId, month),
      topicCountsSql(userId, "Europe/Berlin", "week", month, 10),
    ]) {
      const nodes = await planOf(query);
      expect(uses(nodes, "entries_user_occurred_idx")).toBe(true);
      expect(bigTableScans(nodes)).toEqual([]);
    }
  });

  it("writing habits over the whole history", async () => {
    const nodes = await planOf(writingSql(userId, "Europe/Berlin", new Date()));
    expect(uses(nodes, "entries_user_occurred_idx")).toBe(true);
    expect(bigTableScans(nodes)).toEqual([]);
  });

  it("mood patterns and word counts for a month", async () => {
    for (const query of [
      moodByTimeSql(userId, "Europe/Berlin", month),
      moodTopicsSql(userId, month, 10),
      moodOverallSql(userId, month),
      moodStabilitySql(userId, "Europe/Berlin", "week", month),
      wordCountsSql(userId, month),
    ]) {
      const nodes = await planOf(query);
      expect(uses(nodes, "entries_user_occurred_idx")).toBe(true);
      expect(bigTableScans(nodes)).toEqual([]);
    }
  });

  it("streaks over the whole history", async () => {
    const nodes = await planOf(streaksSql(userId, "Europe/Berlin", 3, 7, 4));
    expect(uses(nodes, "entries_user_occurred_idx")).toBe(true);
    expect(bigTableScans(nodes)).toEqual([]);
  });

  it("mood over three years of day buckets", async () => {
    const years = {
      from: new Date("2023-01-01T00:00:00Z"),
      to: new Date("2025-12-31T00:00:00Z"),
      defaulted: false,
    };
    const nodes = await planOf(moodSql(userId, "UTC", "day", years));
    expect(bigTableScans(nodes)).toEqual([]);
  });
});
