import { type Topic, topicSchema } from "@inkwell/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startTestStack } from "../../src/testing/test-stack.ts";
import { analysisCounts, api, type Client, database, eventually, type Sql } from "./helpers.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

/** Three themes a reader would tell apart at a glance, six entries each. */
const THEMES: Record<string, string[]> = {
  running: [
    "Ran ten kilometres along the river this morning; my legs felt strong and the pace was steady.",
    "Long run on Sunday, eighteen kilometres, training for the marathon in spring.",
    "Interval training on the track: six fast laps, my lungs burning by the last one.",
    "Bought new running shoes; the old pair had five hundred kilometres in them.",
    "Easy recovery run today, slow kilometres, thinking about the marathon plan.",
    "Hill repeats in the rain; the running club cheered at the top of every climb.",
  ],
  money: [
    "Paid off the credit card at last; the debt had followed me for two years.",
    "Made a budget for the month: rent, groceries, and saving fifty pounds a week.",
    "The bank charged a fee again and the savings account barely grows.",
    "Sold the old bike to cover the electricity bill; money is tight this month.",
    "Opened a savings account for the holiday and set up a monthly transfer.",
    "Worried about the rent rise; I added up every bill and the pounds do not stretch.",
  ],
  dog: [
    "Took Pepper the greyhound to the park; she sprinted after every pigeon.",
    "Pepper slept on the sofa all afternoon, her nose tucked under a paw.",
    "The vet says the dog is healthy, just a little scared of loud noises.",
    "Walked the dog by the canal; Pepper met a spaniel and they played for ages.",
    "Pepper stole a sock and ran round the garden, so proud of her prize.",
    "Bathed the greyhound after the muddy walk; the dog looked offended all evening.",
  ],
};

/**
 * Topic discovery with real processes: entries analysed by a real node, discovery queued by the edge once
 * enough have been analysed, clustered on the node, and stored through QStash's callback.
 */
describe("topic discovery, end to end", () => {
  let stack: RunningStack;
  let sql: Sql;
  let client: ReturnType<typeof api>;
  const entryCount = Object.values(THEMES).flat().length;

  beforeAll(async () => {
    stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge"], "topics", {
      edgeVars: {
        TOPIC_DISCOVERY_MIN_NEW_ENTRIES: String(entryCount),
        TOPIC_DISCOVERY_MIN_ENTRIES: String(entryCount),
        RATE_LIMIT_USER_PER_MINUTE: "100000",
        RATE_LIMIT_IP_PER_MINUTE: "100000",
      },
    });
    sql = database(stack.databaseUrl);
    client = api(stack.edgeUrl);
    await stack.startNode("a");
  }, 180_000);

  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await stack?.stop();
  });

  const topicsOf = async (who: Client): Promise<Topic[]> => {
    const res = await client.request("/v1/topics", { token: who.token });
    expect(res.status).toBe(200);
    return z.object({ items: z.array(topicSchema) }).parse(await res.json()).items;
  };

  it("discovers a writer's themes after enough entries, shows them in GET /v1/topics, and keeps their ids", async () => {
    const writer = await client.register();
    const other = await client.register();
    const written = [];
    for (const [theme, texts] of Object.entries(THEMES)) {
      for (const text of texts) written.push({ theme, entry: await client.createEntry(writer, text) });
    }
    await client.createEntry(other, "Ran along the river with the dog, then paid the rent.");
    const ids = written.map((w) => w.entry.id);
    await eventually(async () => (await analysisCounts(sql, ids)).done === ids.length, {
      timeoutMs: 90_000,
      between: () => client.sweep(),
      what: "every entry to be analysed",
    });

    // The last analysis crossed the threshold: the edge queued discovery on its own.
    const discovered = await eventually(
      async () => {
        const found = (await topicsOf(writer)).filter((t) => t.kind === "discovered");
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 60_000, between: () => client.sweep(), what: "discovered topics" },
    );
    expect(discovered.length).toBeGreaterThanOrEqual(2);
    for (const topic of discovered) {
      expect(topic.keywords.length).toBeGreaterThan(0);
      expect(topic.entryCount).toBeGreaterThanOrEqual(3);
      expect(topic.trend.last30Days).toBe(topic.entryCount);
    }
    // Each theme's entries stay together: most of them in one topic (two themes may share one at this size).
    const themeOf = new Map(written.map((w) => [w.entry.id, w.theme]));
    const together = new Map<string, number>();
    for (const topic of discovered) {
      const res = await client.request(`/v1/topics/${topic.id}/entries?limit=100`, { token: writer.token });
      const members = ((await res.json()) as { items: { id: string }[] }).items.map((e) => themeOf.get(e.id));
      for (const theme of Object.keys(THEMES)) {
        const share = members.filter((m) => m === theme).length / (THEMES[theme]?.length ?? 1);
        together.set(theme, Math.max(together.get(theme) ?? 0, share));
      }
    }
    for (const theme of Object.keys(THEMES)) expect(together.get(theme), theme).toBeGreaterThanOrEqual(0.6);
    expect((await topicsOf(other)).filter((t) => t.kind === "discovered")).toEqual([]);

    // Asked again with nothing new, the run continues the same topics under the same ids.
    const res = await client.request("/v1/topics/discover", { method: "POST", token: writer.token });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    await eventually(
      async () => {
        const job = await client.request(`/v1/jobs/${jobId}`, { token: writer.token });
        return ((await job.json()) as { status: string }).status === "done" || undefined;
      },
      { timeoutMs: 60_000, between: () => client.sweep(), what: "the second run" },
    );
    const again = (await topicsOf(writer)).filter((t) => t.kind === "discovered");
    expect(again.map((t) => t.id).sort()).toEqual(discovered.map((t) => t.id).sort());
  }, 240_000);
});
