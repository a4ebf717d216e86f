import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { discoverTopics, topicPurity } from "../../inference-node/src/topics/discover-topics.ts";
import { defaultModelsDir } from "../src/paths.ts";
import { seededRandom } from "../src/seeded-random.ts";
import { chooseEmbeddingModels, type EvalEmbedder, loadEvalEmbedder } from "./embedding-models.ts";
import { type EvalSet, embeddingText, evalSetDir, loadEvalSet, themeFileSchema } from "./eval-set.ts";

/**
 * Topic discovery on journals of different sizes and theme counts, cut from the written evaluation set
 * (`entries/`, 14 themes of 24) and two more themes written for topics only (`topic-themes/`, 12 entries
 * each, never used for search). The discovery settings were tuned on journals drawn from the tuning
 * themes only; the `held-out` journals always contain every held-out theme, so their figures show how the
 * method does on subjects it was not tuned on.
 */
export const heldOutThemes = ["money", "pet", "sleep", "travel", "cooking", "language-learning"] as const;

export interface TopicEntry {
  id: string;
  theme: string;
  text: string;
}

export interface TopicScores {
  topics: number;
  /** Share of clustered entries whose topic's majority theme is their own. */
  purity: number;
  /** Share of each theme's entries that sit in that theme's largest topic (penalises splitting a theme). */
  inversePurity: number;
  /** Share of entries placed in some topic (the rest sit between topics or in clusters below the minimum). */
  coverage: number;
  labels: { label: string; size: number; majorityTheme: string; majorityShare: number }[];
}

export interface TopicJournalScores extends TopicScores {
  name: string;
  split: "tuning" | "held-out";
  entries: number;
  themes: number;
  /** |topics − themes| / themes ≤ 0.3. */
  countWithin30: boolean;
  seconds: number;
}

/** The written set's entries as topic discovery reads them: id, theme and the text the node embeds. */
export function evalSetTopicEntries(set: EvalSet): TopicEntry[] {
  return set.entries.map((entry) => ({ id: entry.id, theme: entry.theme, text: embeddingText(entry) }));
}

/** Journal shapes: themes × entries per theme (50 to 360 entries, 5 to 16 themes). */
const shapes: { split: TopicJournalScores["split"]; themes: number; perTheme: number }[] = [
  { split: "tuning", themes: 5, perTheme: 10 },
  { split: "tuning", themes: 10, perTheme: 5 },
  { split: "tuning", themes: 8, perTheme: 12 },
  { split: "tuning", themes: 5, perTheme: 24 },
  { split: "tuning", themes: 10, perTheme: 24 },
  { split: "held-out", themes: 6, perTheme: 9 },
  { split: "held-out", themes: 12, perTheme: 8 },
  { split: "held-out", themes: 15, perTheme: 12 },
  { split: "held-out", themes: 16, perTheme: 12 },
  { split: "held-out", themes: 16, perTheme: 24 },
];

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The topic-only themes under `topic-themes/`. */
export async function loadTopicThemes(dir = path.join(evalSetDir, "topic-themes")): Promise<TopicEntry[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  const entries: TopicEntry[] = [];
  for (const file of files) {
    const parsed = themeFileSchema.safeParse(JSON.parse(await readFile(path.join(dir, file), "utf8")));
    if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
    for (const entry of parsed.data.entries) {
      entries.push({
        id: entry.id,
        theme: parsed.data.theme,
        text: embeddingText({ content: entry.text, ...(entry.title ? { title: entry.title } : {}) }),
      });
    }
  }
  return entries;
}

/** The journals, deterministically: shape i draws its themes and entries with seed i + 1. */
export function topicJournals(
  pool: readonly TopicEntry[],
): { name: string; split: TopicJournalScores["split"]; entries: TopicEntry[] }[] {
  const themes = [...new Set(pool.map((entry) => entry.theme))].sort();
  const heldOut = themes.filter((theme) => (heldOutThemes as readonly string[]).includes(theme));
  const tuning = themes.filter((theme) => !heldOut.includes(theme));
  return shapes.map((shape, i) => {
    const random = seededRandom(i + 1);
    const chosen =
      shape.split === "tuning"
        ? shuffled(tuning, random).slice(0, shape.themes)
        : [...heldOut, ...shuffled(tuning, random)].slice(0, shape.themes);
    const entries = chosen.flatMap((theme) =>
      shuffled(
        pool.filter((entry) => entry.theme === theme),
        random,
      ).slice(0, shape.perTheme),
    );
    return { name: `${chosen.length}×${shape.perTheme}`, split: shape.split, entries };
  });
}

/** Runs discovery on one journal and scores it against the written themes. */
export function scoreTopics(
  entries: readonly TopicEntry[],
  vectors: ReadonlyMap<string, Float32Array>,
): TopicScores {
  const themeOf = new Map(entries.map((entry) => [entry.id, entry.theme]));
  let counter = 0;
  const topics = discoverTopics(
    {
      entries: entries.map((entry) => ({
        id: entry.id,
        text: entry.text,
        embedding: vectors.get(entry.id) ?? new Float32Array(),
      })),
    },
    { newId: () => `topic-${++counter}` },
  );
  const clustered = topics.reduce((n, topic) => n + topic.memberIds.length, 0);
  const themeSizes = new Map<string, number>();
  for (const entry of entries) themeSizes.set(entry.theme, (themeSizes.get(entry.theme) ?? 0) + 1);
  // Inverse purity: for each theme, the most of its entries that any single topic holds.
  const bestPerTheme = new Map<string, number>();
  const labels = topics.map((topic) => {
    const counts = new Map<string, number>();
    for (const id of topic.memberIds) {
      const theme = themeOf.get(id) ?? "?";
      counts.set(theme, (counts.get(theme) ?? 0) + 1);
    }
    for (const [theme, n] of counts) bestPerTheme.set(theme, Math.max(bestPerTheme.get(theme) ?? 0, n));
    const [majorityTheme, majority] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["?", 0];
    return {
      label: topic.label,
      size: topic.memberIds.length,
      majorityTheme,
      majorityShare: majority / Math.max(1, topic.memberIds.length),
    };
  });
  const inverse = [...bestPerTheme.values()].reduce((a, b) => a + b, 0) / Math.max(1, entries.length);
  return {
    topics: topics.length,
    purity: topicPurity(topics, (id) => themeOf.get(id)),
    inversePurity: inverse,
    coverage: clustered / Math.max(1, entries.length),
    labels,
  };
}

/** Every journal shape for one model: the evaluation set's vectors plus the topic-only themes, embedded here. */
export async function scoreTopicJournals(
  set: EvalSet,
  vectors: ReadonlyMap<string, Float32Array>,
  embedder: EvalEmbedder,
): Promise<TopicJournalScores[]> {
  const extra = await loadTopicThemes();
  const extraVectors = await embedder.embed(extra.map((entry) => entry.text));
  const all = new Map(vectors);
  extra.forEach((entry, i) => {
    all.set(entry.id, extraVectors[i] as Float32Array);
  });
  const pool: TopicEntry[] = [...evalSetTopicEntries(set), ...extra];
  return topicJournals(pool).map((journal) => {
    const started = performance.now();
    const scores = scoreTopics(journal.entries, all);
    const themes = new Set(journal.entries.map((entry) => entry.theme)).size;
    return {
      name: journal.name,
      split: journal.split,
      entries: journal.entries.length,
      themes,
      countWithin30: Math.abs(scores.topics - themes) / themes <= 0.3,
      seconds: (performance.now() - started) / 1000,
      ...scores,
    };
  });
}

const fixed = (value: number) => value.toFixed(3);

/** One row per journal, then the mean of each split. */
export function formatTopicJournals(model: string, journals: readonly TopicJournalScores[]): string[] {
  const lines = [
    `Topic discovery by journal (${model}):`,
    "",
    "| journal | split | entries | themes | topics | purity | inverse purity | coverage | seconds |",
    "| ------- | ----- | ------- | ------ | ------ | ------ | -------------- | -------- | ------- |",
  ];
  for (const j of journals) {
    lines.push(
      `| ${j.name} | ${j.split} | ${j.entries} | ${j.themes} | ${j.topics}${j.countWithin30 ? "" : " (off)"} | ${fixed(j.purity)} | ${fixed(j.inversePurity)} | ${fixed(j.coverage)} | ${j.seconds.toFixed(1)} |`,
    );
  }
  for (const split of ["tuning", "held-out"] as const) {
    const rows = journals.filter((j) => j.split === split);
    const mean = (pick: (j: TopicJournalScores) => number) =>
      rows.reduce((sum, j) => sum + pick(j), 0) / Math.max(1, rows.length);
    lines.push(
      `| mean | ${split} | | | ${rows.filter((j) => j.countWithin30).length}/${rows.length} within ±30 % | ${fixed(mean((j) => j.purity))} | ${fixed(mean((j) => j.inversePurity))} | ${fixed(mean((j) => j.coverage))} | |`,
    );
  }
  return lines;
}

export interface TopicEvaluation {
  model: string;
  /** Discovery on the whole written set (every theme, 336 entries). */
  topics: TopicScores;
  journals: TopicJournalScores[];
}

/**
 * Topic discovery alone, without search, classifiers or crisis assessment (`npm run eval -- --topics`):
 * the whole set and every journal shape, for each embedding model present or the ones named.
 */
export async function evaluateTopics(
  options: { models?: readonly string[]; modelsDir?: string; log?: (line: string) => void } = {},
): Promise<TopicEvaluation[]> {
  const log = options.log ?? (() => {});
  const modelsDir = options.modelsDir ?? defaultModelsDir();
  const set = await loadEvalSet(evalSetDir);
  const { chosen } = await chooseEmbeddingModels(modelsDir, options.models);
  const results: TopicEvaluation[] = [];
  for (const model of chosen) {
    log(`${model.id}: embedding ${set.entries.length} entries for topics`);
    const embedder = await loadEvalEmbedder(model, modelsDir, log);
    try {
      const entries = evalSetTopicEntries(set);
      const embedded = await embedder.embed(entries.map((entry) => entry.text));
      const vectors = new Map(entries.map((entry, i) => [entry.id, embedded[i] as Float32Array]));
      results.push({
        model: model.id,
        topics: scoreTopics(entries, vectors),
        journals: await scoreTopicJournals(set, vectors, embedder),
      });
    } finally {
      await embedder.close();
    }
  }
  return results;
}

/** The whole-set row, the journal table and the labels of each journal's topics. */
export function formatTopicEvaluation(result: TopicEvaluation): string[] {
  const t = result.topics;
  return [
    `Whole set (${result.model}): ${t.topics} topics, purity ${fixed(t.purity)}, inverse purity ${fixed(t.inversePurity)}, coverage ${fixed(t.coverage)}`,
    "",
    ...formatTopicJournals(result.model, result.journals),
    "",
    ...result.journals.map(
      (j) =>
        `${j.name} (${j.split}): ${j.labels.map((l) => `${l.label} [${l.majorityTheme} ${l.size}]`).join("; ")}`,
    ),
  ];
}
