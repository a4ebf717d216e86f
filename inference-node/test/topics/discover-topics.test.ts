import { describe, expect, it } from "vitest";
import {
  discoverTopics,
  discoverTopicsInBackground,
  fewestTopics,
  smallestTopic,
  type TopicInputEntry,
  topicPurity,
} from "../../src/topics/discover-topics.ts";

/** Deterministic noise, so the synthetic journals are the same on every run. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
}

const themes = {
  running: { axis: 0, words: "run marathon kilometre pace legs" },
  money: { axis: 1, words: "rent bills savings debt budget" },
  sleep: { axis: 2, words: "insomnia awake bed tired pillow" },
} as const;

/** Entries around three orthogonal directions in 16 dimensions, each with its theme's words. */
function journal(perTheme: number, seed = 1, prefix = "e"): TopicInputEntry[] {
  const random = noise(seed);
  const entries: TopicInputEntry[] = [];
  for (const [name, theme] of Object.entries(themes)) {
    for (let i = 0; i < perTheme; i++) {
      const embedding = Array.from({ length: 16 }, () => 0.15 * random());
      embedding[theme.axis] = (embedding[theme.axis] as number) + 1;
      const words = theme.words.split(" ");
      const text = `Today: ${words[i % words.length]} and ${words[(i + 2) % words.length]}, the ${name} again.`;
      entries.push({ id: `${prefix}-${name}-${i}`, text, embedding });
    }
  }
  return entries;
}

const themeOf = (id: string) => id.split("-")[1];

function sequentialIds(prefix = "t") {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

describe("discoverTopics", () => {
  it("finds the themes of a journal and labels each with its own words", () => {
    const topics = discoverTopics({ entries: journal(8) }, { newId: sequentialIds() });
    expect(topics).toHaveLength(3);
    expect(topicPurity(topics, themeOf)).toBe(1);
    for (const topic of topics) {
      const name = themeOf(topic.memberIds[0] as string) as keyof typeof themes;
      expect([name, ...themes[name].words.split(" ")]).toContain(topic.keywords[0]);
      expect(topic.label.split(", ").length).toBeLessThanOrEqual(3);
      expect(topic.label.startsWith(topic.keywords[0] as string)).toBe(true);
      const norm = Math.hypot(...topic.centroid);
      expect(norm).toBeCloseTo(1, 6);
    }
  });

  it("is deterministic: the same journal gives the same topics", () => {
    const a = discoverTopics({ entries: journal(6) }, { newId: sequentialIds() });
    const b = discoverTopics({ entries: journal(6) }, { newId: sequentialIds() });
    expect(b).toEqual(a);
  });

  it("gives the same topics when run in the background, between other work", async () => {
    const sync = discoverTopics({ entries: journal(6) }, { newId: sequentialIds() });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const background = await discoverTopicsInBackground({ entries: journal(6) }, { newId: sequentialIds() });
    clearInterval(timer);
    expect(background).toEqual(sync);
    expect(ticks).toBeGreaterThan(0);
  });

  it("keeps topic ids when a few entries are added", () => {
    const first = discoverTopics({ entries: journal(8) }, { newId: sequentialIds("old") });
    const grown = [...journal(8), ...journal(2, 99, "new")];
    const second = discoverTopics(
      { entries: grown, previous: first.map(({ id, centroid, memberIds }) => ({ id, centroid, memberIds })) },
      { newId: sequentialIds("fresh") },
    );
    expect(second.map((t) => t.id).sort()).toEqual(first.map((t) => t.id).sort());
    for (const topic of second) {
      const before = first.find((t) => t.id === topic.id);
      expect(topic.memberIds.filter((id) => id.startsWith("e-"))).toEqual(before?.memberIds);
    }
  });

  it("gives a new id to a new theme and keeps the old ones", () => {
    const first = discoverTopics({ entries: journal(6) }, { newId: sequentialIds("old") });
    const random = noise(7);
    const cooking = Array.from({ length: 6 }, (_, i) => {
      const embedding = Array.from({ length: 16 }, () => 0.15 * random());
      embedding[5] = (embedding[5] as number) + 1;
      return { id: `c-cooking-${i}`, text: "Baked bread, soup and a pie in the oven.", embedding };
    });
    const second = discoverTopics(
      { entries: [...journal(6), ...cooking], previous: first },
      { newId: sequentialIds("fresh") },
    );
    expect(second).toHaveLength(4);
    const fresh = second.filter((t) => t.id.startsWith("fresh"));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.memberIds.every((id) => id.startsWith("c-"))).toBe(true);
    expect(second.filter((t) => t.id.startsWith("old"))).toHaveLength(3);
  });

  it("recognises a topic by its centroid when its entries were all replaced", () => {
    const first = discoverTopics({ entries: journal(6) }, { newId: sequentialIds("old") });
    const second = discoverTopics(
      { entries: journal(6, 12345, "other"), previous: first },
      { newId: sequentialIds("fresh") },
    );
    expect(second.map((t) => t.id).sort()).toEqual(first.map((t) => t.id).sort());
  });

  it("never gives one old id to two topics", () => {
    const first = discoverTopics({ entries: journal(6) }, { newId: sequentialIds("old") });
    const only = first[0];
    if (!only) throw new Error("no topic");
    // One old topic whose centroid sits between all three themes.
    const previous = [
      { id: "shared", centroid: [1, 1, 1, ...new Array(13).fill(0)], memberIds: only.memberIds },
    ];
    const second = discoverTopics({ entries: journal(6), previous }, { newId: sequentialIds("fresh") });
    expect(second.filter((t) => t.id === "shared")).toHaveLength(1);
  });

  it("returns no topics for a journal too small to cluster and drops tiny clusters", () => {
    expect(discoverTopics({ entries: [] })).toEqual([]);
    expect(discoverTopics({ entries: journal(1) })).toEqual([]);
    const topics = discoverTopics({ entries: journal(4) }, { minTopicSize: 5 });
    expect(topics.every((t) => t.memberIds.length >= 5)).toBe(true);
  });

  it("keeps every entry of a journal whose themes stand apart", () => {
    const entries = journal(8);
    const topics = discoverTopics({ entries }, { newId: sequentialIds() });
    expect(topics.reduce((n, topic) => n + topic.memberIds.length, 0)).toBe(entries.length);
  });

  it("leaves the entries the runs disagree on without a topic when themes overlap, within the budget", () => {
    const random = noise(11);
    // Three themes whose entries stray far from their axis, as a writer's subjects blur into each other.
    const entries = Object.values(themes).flatMap((theme, t) =>
      Array.from({ length: 20 }, (_, i) => {
        const embedding = Array.from({ length: 16 }, () => 1.6 * random());
        embedding[theme.axis] = (embedding[theme.axis] as number) + 1;
        return { id: `o-${t}-${i}`, text: theme.words, embedding };
      }),
    );
    const topics = discoverTopics({ entries }, { newId: sequentialIds() });
    const placed = topics.reduce((n, topic) => n + topic.memberIds.length, 0);
    expect(placed).toBeLessThan(entries.length);
    expect(placed).toBeGreaterThanOrEqual(Math.ceil(0.85 * entries.length));
    expect(topics.every((topic) => topic.memberIds.length >= 3)).toBe(true);
  });

  it("refuses embeddings of different lengths", () => {
    const entries = journal(3);
    entries[1] = { id: "odd", text: "x", embedding: [1, 2, 3] };
    expect(() => discoverTopics({ entries })).toThrow(RangeError);
  });
});

describe("topicPurity", () => {
  it("is the share of members that belong to their topic's majority label", () => {
    const label = (id: string) => id[0];
    expect(topicPurity([{ memberIds: ["a1", "a2", "b1"] }, { memberIds: ["b2", "b3"] }], label)).toBeCloseTo(
      4 / 5,
    );
    expect(topicPurity([], label)).toBe(0);
  });
});

describe("how many topics a journal is searched with", () => {
  it("never starts below a floor that grows with the journal, and raises the smallest topic for large ones", () => {
    expect(fewestTopics(10)).toBe(2);
    expect(fewestTopics(50)).toBe(4);
    expect(fewestTopics(180)).toBe(7);
    expect(fewestTopics(1000)).toBe(16);
    expect(smallestTopic(100, 3)).toBe(3);
    expect(smallestTopic(1000, 3)).toBe(7);
  });
});
