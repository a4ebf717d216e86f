/**
 * Pure ranking helpers shared by the edge's hybrid search, the node's vector search and the offline
 * search-quality evaluation, so the numbers the evaluation reports are produced by the same windows,
 * scoring and fusion the API serves. No runtime imports.
 */

/** One ranked list of ids, best first, and how much it counts in a fusion. */
export interface WeightedRanking {
  ids: readonly string[];
  /** Multiplies this list's contribution; 1 when absent. */
  weight?: number;
}

export interface FusedHit {
  id: string;
  score: number;
}

export interface FusionOptions {
  /**
   * Damping constant of reciprocal rank fusion. 60 is the value of Cormack, Clarke and Büttcher (SIGIR
   * 2009), which they found robust across collections; smaller values let the top ranks dominate.
   */
  k?: number;
  /** Keep only this many fused hits. */
  limit?: number;
}

export const RRF_DEFAULT_K = 60;

/**
 * Reciprocal rank fusion: score(d) = Σ weight / (k + rank(d)), ranks counted from 1 in every list that holds
 * d. It uses ranks only, so a keyword rank score and a cosine similarity never need to be put on one scale.
 * A repeated id within one list counts once, at its best rank. Ties go to the id with the better best rank,
 * then to the id that appeared first in the earliest list, so the output is deterministic.
 */
export function reciprocalRankFusion(
  rankings: readonly (readonly string[] | WeightedRanking)[],
  options: FusionOptions = {},
): FusedHit[] {
  const k = options.k ?? RRF_DEFAULT_K;
  if (!Number.isFinite(k) || k < 0) throw new RangeError(`RRF k must be a non-negative number, got ${k}`);
  const fused = new Map<string, { score: number; bestRank: number; firstSeen: number }>();
  let seen = 0;
  for (const ranking of rankings) {
    const { ids, weight = 1 } = isWeighted(ranking) ? ranking : { ids: ranking };
    if (!Number.isFinite(weight) || weight < 0) {
      throw new RangeError(`RRF weights must be non-negative numbers, got ${weight}`);
    }
    const counted = new Set<string>();
    ids.forEach((id, index) => {
      if (counted.has(id)) return;
      counted.add(id);
      const rank = index + 1;
      const contribution = weight / (k + rank);
      const current = fused.get(id);
      if (current) {
        current.score += contribution;
        current.bestRank = Math.min(current.bestRank, rank);
      } else {
        fused.set(id, { score: contribution, bestRank: rank, firstSeen: seen++ });
      }
    });
  }
  const hits = [...fused.entries()]
    .sort(([, a], [, b]) => b.score - a.score || a.bestRank - b.bestRank || a.firstSeen - b.firstSeen)
    .map(([id, { score }]) => ({ id, score }));
  return options.limit === undefined ? hits : hits.slice(0, Math.max(0, options.limit));
}

function isWeighted(ranking: readonly string[] | WeightedRanking): ranking is WeightedRanking {
  return !Array.isArray(ranking);
}

/**
 * What a search query looks like, for choosing how much keyword matches count in hybrid search: a
 * `phrase` (quoted, or at most three words: a name, "scattering the ashes") is often meant literally; a
 * `sentence` describes something in the searcher's own words, which the entries rarely share.
 */
export type QueryKind = "phrase" | "sentence";

export function queryKind(query: string): QueryKind {
  const trimmed = query.trim();
  if (/^["“].*["”]$/.test(trimmed)) return "phrase";
  return trimmed.split(/\s+/).filter(Boolean).length <= 3 ? "phrase" : "sentence";
}

/**
 * Hybrid search's settings per query kind, tuned on the project's search evaluation (models/eval,
 * `npm run eval`): which of the query's words a keyword match needs (`keywordMatch`), how much a keyword
 * rank counts against a semantic one (`keywordWeight`) and the fusion's `k`.
 *
 * A phrase keeps plain RRF over entries holding all its words: there a literal match is usually what was
 * meant. A sentence rarely has all its words in one entry (matching all of them, its keyword side mostly
 * fell back to trigram similarity), so its keyword side matches entries with any of them, ranked by how
 * many and how densely (stop words dropped), at 0.3 of a semantic rank and k = 30. Over the evaluation's
 * 105 sentence queries (use-lite, entries scored by their best sentence) this lifted hybrid recall@10
 * from 0.686 to 0.716 against 0.678 for semantic alone: 16 queries better than semantic, 6 worse. Half a
 * semantic rank reached 0.726 but ranked 13 queries worse than semantic search, so the lighter weight stays.
 */
export const HYBRID_FUSION: Readonly<
  Record<QueryKind, { keywordMatch: "all" | "any"; keywordWeight: number; k: number }>
> = {
  phrase: { keywordMatch: "all", keywordWeight: 1, k: RRF_DEFAULT_K },
  sentence: { keywordMatch: "any", keywordWeight: 0.3, k: 30 },
};

/** Hybrid search's fusion of a keyword and a semantic ranking for one query (ids best first). */
export function fuseHybrid(
  query: string,
  keywordIds: readonly string[],
  semanticIds: readonly string[],
  limit?: number,
): FusedHit[] {
  const { keywordWeight, k } = HYBRID_FUSION[queryKind(query)];
  return reciprocalRankFusion([{ ids: keywordIds, weight: keywordWeight }, { ids: semanticIds }], {
    k,
    ...(limit === undefined ? {} : { limit }),
  });
}

/**
 * Sentence windows of an entry for multi-vector scoring: its sentences (split after . ! ? and at line
 * breaks). Single sentences measured best as windows on the evaluation set (recall@10 0.683, against 0.676
 * when fragments under three words were joined to the next and 0.647 for two-sentence windows). An entry
 * of one sentence has no chunks: its whole vector says it all.
 */
export function sentenceChunks(text: string): string[] {
  const sentences = text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
  return sentences.length > 1 ? sentences : [];
}

/** What a node embeds as an entry's whole vector: the title, a blank line, then the content. */
export function entryEmbeddingText(entry: { title?: string | undefined; content: string }): string {
  return entry.title ? `${entry.title}\n\n${entry.content}` : entry.content;
}

/**
 * Windows kept per entry at most. Journal entries have tens of sentences; the cap bounds what one pasted
 * document (100,000 characters split at every line break) costs a node in model time and index space, and
 * the entry's whole vector still stands for the rest.
 */
export const MAX_CHUNKS_PER_ENTRY = 512;

/**
 * An entry's sentence windows as a node embeds and stores them and the search evaluation scores them:
 * `sentenceChunks` of its whole vector's text (so a title is a window of its own), at most
 * `MAX_CHUNKS_PER_ENTRY`.
 */
export function entryChunks(entry: { title?: string | undefined; content: string }): string[] {
  return sentenceChunks(entryEmbeddingText(entry)).slice(0, MAX_CHUNKS_PER_ENTRY);
}

/**
 * An entry's score for a query from its whole vector and its best sentence window: the mean of the two,
 * so one paragraph about a run lifts a long entry about a week without a single matching sentence outranking
 * an entry that is about the query throughout. Half and half measured best on the evaluation set (semantic
 * recall@10 0.638 → 0.683 with USE-lite; 0.3 and 0.7 both did worse).
 */
export const CHUNK_WEIGHT = 0.5;

export function multiVectorScore(whole: number, chunkScores: readonly number[]): number {
  if (chunkScores.length === 0) return whole;
  return (1 - CHUNK_WEIGHT) * whole + CHUNK_WEIGHT * Math.max(...chunkScores);
}

/** Graded relevance judgements of one query: id → grade (0 = not relevant, 1 = relevant, 2 = highly relevant …). */
export type Judgements = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

function gradesOf(judgements: Judgements): Map<string, number> {
  const entries = judgements instanceof Map ? [...judgements.entries()] : Object.entries(judgements);
  return new Map(entries.filter(([, grade]) => Number.isFinite(grade) && grade > 0));
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
}

/** Ids in rank order, each once: a list that repeats an id must not be credited twice for it. */
function topK(ranked: readonly string[], k: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const id of ranked) {
    if (out.length === k) break;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

/**
 * Recall@k: the share of all relevant ids (grade > 0) found in the first k, as trec_eval and BEIR define it.
 * A query with more than k relevant ids cannot reach 1. A query without any relevant id scores 0 rather
 * than NaN, so an average stays a number; evaluation sets should not contain such queries.
 */
export function recallAtK(ranked: readonly string[], judgements: Judgements, k: number): number {
  checkK(k);
  const grades = gradesOf(judgements);
  if (grades.size === 0) return 0;
  const found = topK(ranked, k).filter((id) => grades.has(id)).length;
  return found / grades.size;
}

/**
 * nDCG@k with linear gain (gain = grade) and a log2(rank + 1) discount, as trec_eval and BEIR compute it;
 * normalised by the DCG of the ideal ordering of all judged ids, so 1 means the best possible first k.
 */
export function ndcgAtK(ranked: readonly string[], judgements: Judgements, k: number): number {
  checkK(k);
  const grades = gradesOf(judgements);
  if (grades.size === 0) return 0;
  const dcg = topK(ranked, k).reduce((sum, id, i) => sum + (grades.get(id) ?? 0) / Math.log2(i + 2), 0);
  const ideal = [...grades.values()]
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, i) => sum + grade / Math.log2(i + 2), 0);
  return dcg / ideal;
}

/** Arithmetic mean, 0 for no values (an empty evaluation reports 0, not NaN). */
export function meanScore(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
