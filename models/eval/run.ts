import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  fuseHybrid,
  meanScore,
  ndcgAtK,
  type QueryKind,
  queryKind,
  RRF_DEFAULT_K,
  recallAtK,
} from "@inkwell/shared";
import { type EmbeddingEntry, loadManifest } from "../src/manifest.ts";
import { ensureOfflineModels } from "../src/offline/build.ts";
import { defaultModelsDir, modelsPackageDir } from "../src/paths.ts";
import { chunkedRanking, embedChunks } from "./chunk-rankings.ts";
import { evaluateClassifiers, formatClassificationReport } from "./classification.ts";
import { evaluateCrisisModels, formatCrisisEvaluation } from "./crisis-eval.ts";
import { chooseEmbeddingModels, type EvalEmbedder, loadEvalEmbedder } from "./embedding-models.ts";
import { type EvalSet, embeddingText, evalSetDir, loadEvalSet } from "./eval-set.ts";
import { type KeywordRankings, keywordRankings } from "./keyword-rankings.ts";
import {
  evalSetTopicEntries,
  evaluateTopics,
  formatTopicEvaluation,
  formatTopicJournals,
  scoreTopicJournals,
  scoreTopics,
  type TopicJournalScores,
  type TopicScores,
} from "./topic-journals.ts";

/**
 * keyword, semantic and hybrid over whole-entry vectors; the `-chunks` modes score each entry by its whole
 * vector and its best sentence window (`multiVectorScore`), as the API serves semantic and hybrid search
 * (the node stores every entry's sentence windows beside its vector).
 */
export const searchModes = ["keyword", "semantic", "hybrid", "semantic-chunks", "hybrid-chunks"] as const;
export type SearchMode = (typeof searchModes)[number];

export interface ModeScores {
  recallAt10: number;
  ndcgAt10: number;
}

export interface ModelResult {
  model: string;
  dims: number;
  /** The model a CPU node serves when nothing is pinned (highest priority present for the `cpu` tier). */
  isDefault: boolean;
  embedSeconds: number;
  modes: Record<SearchMode, ModeScores>;
  topics: TopicScores;
  /** Topic discovery on journals of 50–360 entries and 5–16 themes cut from the set (topic-journals.ts). */
  topicJournals: TopicJournalScores[];
  /** Per query, per mode: recall@10, for finding where a mode loses. */
  perQuery: ({ id: string; kind: QueryKind } & Record<SearchMode, number>)[];
  /** Mean recall@10 per query kind (`queryKind`) and mode. */
  recallByKind: Record<QueryKind, { queries: number } & Record<SearchMode, number>>;
}

export interface EvaluationReport {
  generatedAt: string;
  set: { entries: number; themes: number; queries: number; judgements: number; words: number };
  settings: { k: number; candidates: number; rrfK: number; semantic: string };
  models: ModelResult[];
}

export interface EvaluationOptions {
  /** Evaluate only these manifest ids (default: every embedding model that is present). */
  models?: readonly string[];
  modelsDir?: string;
  databaseUrl?: string;
  /** Candidates per mode that go into fusion. */
  candidates?: number;
  log?: (line: string) => void;
}

const K = 10;

function cosineRanking(
  query: Float32Array,
  documents: readonly { id: string; vector: Float32Array }[],
): string[] {
  // Exact search over every entry: at one journal's size this is what Chroma's HNSW returns too (its
  // approximation only matters at far larger collections), and it keeps the evaluation free of a server.
  return documents
    .map(({ id, vector }) => {
      let dot = 0;
      for (let i = 0; i < vector.length; i++) dot += (vector[i] as number) * (query[i] as number);
      return { id, score: dot };
    })
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .map((hit) => hit.id);
}

function recallByKind(perQuery: ModelResult["perQuery"]): ModelResult["recallByKind"] {
  const kinds: QueryKind[] = ["phrase", "sentence"];
  return Object.fromEntries(
    kinds.map((kind) => {
      const rows = perQuery.filter((row) => row.kind === kind);
      const mean = (mode: SearchMode) =>
        rows.reduce((sum, row) => sum + row[mode], 0) / Math.max(1, rows.length);
      return [
        kind,
        { queries: rows.length, ...Object.fromEntries(searchModes.map((mode) => [mode, mean(mode)])) },
      ];
    }),
  ) as ModelResult["recallByKind"];
}

async function evaluateModel(
  set: EvalSet,
  embedder: EvalEmbedder,
  keyword: KeywordRankings,
  candidates: number,
  isDefault: boolean,
): Promise<ModelResult> {
  const started = performance.now();
  const entryVectors = await embedder.embed(set.entries.map(embeddingText));
  const queryVectors = await embedder.embed(set.queries.map((query) => query.text));
  const embedSeconds = (performance.now() - started) / 1000;
  const documents = set.entries.map((entry, i) => ({
    id: entry.id,
    vector: entryVectors[i] as Float32Array,
  }));
  const vectors = new Map(documents.map((doc) => [doc.id, doc.vector]));
  const chunked = await embedChunks(
    embedder,
    set.entries.map((entry, i) => ({
      id: entry.id,
      title: entry.title,
      content: entry.content,
      vector: entryVectors[i] as Float32Array,
    })),
  );

  const scores: Record<SearchMode, { recall: number[]; ndcg: number[] }> = {
    keyword: { recall: [], ndcg: [] },
    semantic: { recall: [], ndcg: [] },
    hybrid: { recall: [], ndcg: [] },
    "semantic-chunks": { recall: [], ndcg: [] },
    "hybrid-chunks": { recall: [], ndcg: [] },
  };
  const perQuery: ModelResult["perQuery"] = [];
  set.queries.forEach((query, q) => {
    const rankings: Record<SearchMode, string[]> = {
      keyword: keyword.keyword.get(query.id) ?? [],
      semantic: cosineRanking(queryVectors[q] as Float32Array, documents).slice(0, candidates),
      hybrid: [],
      "semantic-chunks": chunkedRanking(queryVectors[q] as Float32Array, chunked).slice(0, candidates),
      "hybrid-chunks": [],
    };
    // The edge's own fusion (weights per query kind, shared/src/search.ts).
    // The keyword side as hybrid search reads the query (all of a phrase's words, any of a sentence's).
    const keywordSide = keyword.hybrid.get(query.id) ?? [];
    rankings.hybrid = fuseHybrid(query.text, keywordSide, rankings.semantic).map((hit) => hit.id);
    rankings["hybrid-chunks"] = fuseHybrid(query.text, keywordSide, rankings["semantic-chunks"]).map(
      (hit) => hit.id,
    );
    const row = {
      id: query.id,
      kind: queryKind(query.text),
      keyword: 0,
      semantic: 0,
      hybrid: 0,
      "semantic-chunks": 0,
      "hybrid-chunks": 0,
    };
    for (const mode of searchModes) {
      const recall = recallAtK(rankings[mode], query.relevant, K);
      scores[mode].recall.push(recall);
      scores[mode].ndcg.push(ndcgAtK(rankings[mode], query.relevant, K));
      row[mode] = recall;
    }
    perQuery.push(row);
  });
  const modes = Object.fromEntries(
    searchModes.map((mode) => [
      mode,
      { recallAt10: meanScore(scores[mode].recall), ndcgAt10: meanScore(scores[mode].ndcg) },
    ]),
  ) as Record<SearchMode, ModeScores>;
  return {
    model: embedder.id,
    dims: embedder.dims,
    isDefault,
    embedSeconds,
    modes,
    topics: scoreTopics(evalSetTopicEntries(set), vectors),
    topicJournals: await scoreTopicJournals(set, vectors, embedder),
    perQuery,
    recallByKind: recallByKind(perQuery),
  };
}

/** The model a CPU node picks for embeddings with nothing pinned: the first present one suiting the tier. */
function defaultModelId(models: readonly EmbeddingEntry[]): string | undefined {
  return models.find((model) => model.tiers.includes("cpu"))?.id;
}

export async function runEvaluation(options: EvaluationOptions = {}): Promise<EvaluationReport> {
  const log = options.log ?? (() => {});
  const modelsDir = options.modelsDir ?? defaultModelsDir();
  const candidates = options.candidates ?? 50;
  const set = await loadEvalSet(evalSetDir);
  const { present, chosen } = await chooseEmbeddingModels(modelsDir, options.models);
  const defaultId = defaultModelId(present);

  const keywordStarted = performance.now();
  const keyword = await keywordRankings(set.entries, set.queries, {
    limit: candidates,
    log,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
  });
  log(`keyword: done in ${((performance.now() - keywordStarted) / 1000).toFixed(1)} s`);
  const models: ModelResult[] = [];
  for (const model of chosen) {
    log(`${model.id}: embedding ${set.entries.length} entries and ${set.queries.length} queries`);
    const embedder = await loadEvalEmbedder(model, modelsDir, log);
    try {
      const started = performance.now();
      models.push(await evaluateModel(set, embedder, keyword, candidates, model.id === defaultId));
      log(`${model.id}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await embedder.close();
    }
  }
  return {
    generatedAt: new Date().toISOString(),
    set: {
      entries: set.entries.length,
      themes: set.themes.length,
      queries: set.queries.length,
      judgements: set.queries.reduce((n, query) => n + Object.keys(query.relevant).length, 0),
      words: set.entries.reduce((n, entry) => n + entry.content.split(/\s+/).filter(Boolean).length, 0),
    },
    settings: {
      k: K,
      candidates,
      rrfK: RRF_DEFAULT_K,
      semantic: "exact cosine over all entries (equal to Chroma's kNN at this size)",
    },
    models,
  };
}

const fixed = (value: number) => value.toFixed(3);

/** The report as Markdown tables (also what docs/search.md's "Search quality" section shows). */
export function formatReport(report: EvaluationReport): string {
  const lines = [
    `${report.set.entries} entries in ${report.set.themes} themes, ${report.set.queries} queries (${report.set.judgements} judgements); k = ${report.settings.k}, RRF k = ${report.settings.rrfK}, ${report.settings.candidates} candidates per mode.`,
    "",
    "| model | mode | recall@10 | nDCG@10 |",
    "| ----- | ---- | --------- | ------- |",
  ];
  for (const model of report.models) {
    const name = model.isDefault ? `${model.model} (default)` : model.model;
    for (const mode of searchModes) {
      lines.push(
        `| ${name} | ${mode} | ${fixed(model.modes[mode].recallAt10)} | ${fixed(model.modes[mode].ndcgAt10)} |`,
      );
    }
  }
  lines.push(
    "",
    `| model | query kind | queries | ${searchModes.join(" | ")} |`,
    `| ----- | ---------- | ------- | ${searchModes.map(() => "---").join(" | ")} |`,
  );
  for (const model of report.models) {
    for (const [kind, row] of Object.entries(model.recallByKind)) {
      lines.push(
        `| ${model.model} | ${kind} | ${row.queries} | ${searchModes.map((mode) => fixed(row[mode])).join(" | ")} |`,
      );
    }
  }
  lines.push(
    "",
    "| model | topics | purity | inverse purity | coverage |",
    "| ----- | ------ | ------ | -------------- | -------- |",
  );
  for (const model of report.models) {
    const t = model.topics;
    lines.push(
      `| ${model.model} | ${t.topics} | ${fixed(t.purity)} | ${fixed(t.inversePurity)} | ${fixed(t.coverage)} |`,
    );
  }
  for (const model of report.models) lines.push("", ...formatTopicJournals(model.model, model.topicJournals));
  return lines.join("\n");
}

export const resultsFile = path.resolve(modelsPackageDir, "..", "bench", "results", "search-eval.json");
/** Every `npm run eval` also leaves `eval/results/<date>-<commit>.json`, so runs can be compared over time. */
export const evalResultsDir = path.resolve(modelsPackageDir, "..", "eval", "results");

function currentCommit(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short=10", "HEAD"], {
      cwd: modelsPackageDir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: modelsPackageDir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return "unknown";
  }
}

/**
 * `npm run eval [-- --model <id>]…`: builds missing offline models, evaluates search and topics (every
 * embedding model present) and sentiment and emotions (every classifier present) on the project's own
 * sets, prints the tables and saves the report.
 */
export async function main(args: readonly string[] = []): Promise<number> {
  const models: string[] = [];
  let topicsOnly = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--model" && args[i + 1]) models.push(args[++i] as string);
    else if (args[i] === "--topics") topicsOnly = true;
    else {
      process.stderr.write(
        `unknown argument ${args[i]}; usage: npm run eval [-- [--topics] [--model <id>]…]\n`,
      );
      return 1;
    }
  }
  const log = (line: string) => process.stdout.write(`[eval] ${line}\n`);
  await ensureOfflineModels(log, { progressBars: false });
  const manifest = loadManifest();
  const taskOf = (id: string) => manifest.models.find((m) => m.id === id)?.task;
  const unknown = models.filter((id) => taskOf(id) === undefined);
  if (unknown.length > 0) {
    process.stderr.write(`not in the manifest: ${unknown.join(", ")}\n`);
    return 1;
  }
  if (topicsOnly) {
    // Topic discovery alone: seconds rather than the whole run, and no Postgres for keyword search.
    const others = models.filter((id) => taskOf(id) !== "embedding");
    if (others.length > 0) {
      process.stderr.write(`--topics evaluates embedding models only, not ${others.join(", ")}\n`);
      return 1;
    }
    const results = await evaluateTopics({ log, ...(models.length > 0 ? { models } : {}) });
    for (const result of results) process.stdout.write(`\n${formatTopicEvaluation(result).join("\n")}\n`);
    return 0;
  }
  const embeddingModels = models.filter((id) => taskOf(id) === "embedding");
  const classifierModels = models.filter((id) => taskOf(id) === "sentiment" || taskOf(id) === "emotion");
  const runSearch = models.length === 0 || embeddingModels.length > 0;
  const runClassification = models.length === 0 || classifierModels.length > 0;

  const report = runSearch
    ? await runEvaluation({ log, ...(embeddingModels.length > 0 ? { models: embeddingModels } : {}) })
    : undefined;
  const classification = runClassification
    ? await evaluateClassifiers({
        log,
        ...(classifierModels.length > 0 ? { models: classifierModels } : {}),
      })
    : undefined;
  // Crisis assessment runs whenever the whole evaluation does: it is the figure users depend on most.
  const crisis =
    models.length === 0
      ? await evaluateCrisisModels({ log })
      : embeddingModels.length > 0
        ? await evaluateCrisisModels({ log, models: embeddingModels })
        : undefined;
  if (crisis) process.stdout.write(`\n## Crisis assessment\n\n${formatCrisisEvaluation(crisis)}\n`);
  if (report) {
    process.stdout.write(`\n## Search and topics\n\n${formatReport(report)}\n\n`);
    for (const model of report.models) {
      process.stdout.write(
        `${model.model} topics: ${model.topics.labels.map((t) => `${t.label} [${t.majorityTheme} ${t.size}]`).join("; ")}\n`,
      );
    }
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`\nsearch results written to ${path.relative(process.cwd(), resultsFile)}\n`);
  }
  if (classification) {
    process.stdout.write(`\n## Sentiment and emotions\n\n${formatClassificationReport(classification)}\n`);
  }
  const generatedAt = new Date().toISOString();
  const commit = currentCommit();
  const file = path.join(evalResultsDir, `${generatedAt.slice(0, 10)}-${commit}.json`);
  await mkdir(evalResultsDir, { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ generatedAt, commit, crisis: crisis ?? null, search: report ?? null, classification: classification ?? null }, null, 2)}\n`,
  );
  process.stdout.write(`\nall results written to ${path.relative(process.cwd(), file)}\n`);
  return 0;
}
