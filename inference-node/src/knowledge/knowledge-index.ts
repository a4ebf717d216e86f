import type { EvidenceLevel, KnowledgeDomain, KnowledgePassage } from "@inkwell/shared";
import type { Collection, Where } from "chromadb";
import type { KnowledgeCorpus } from "./corpus.ts";

export interface KnowledgeFilter {
  domain?: KnowledgeDomain;
  evidenceLevel?: EvidenceLevel;
  minCredibility?: number;
}

export interface ScoredPassage {
  passage: KnowledgePassage;
  /** Cosine similarity, 1 = same direction. */
  score: number;
}

/** Where the node looks passages up by meaning: Chroma when configured, memory otherwise. */
export interface KnowledgeIndex {
  readonly kind: "chroma" | "memory";
  query(vector: readonly number[], filter: KnowledgeFilter, limit: number): Promise<ScoredPassage[]>;
}

/** The text that is embedded for a passage: the title carries the topic, the text the detail. */
export function passageEmbeddingText(passage: KnowledgePassage): string {
  return `${passage.title}. ${passage.text}`;
}

export function matchesFilter(passage: KnowledgePassage, filter: KnowledgeFilter): boolean {
  return (
    (filter.domain === undefined || passage.domain === filter.domain) &&
    (filter.evidenceLevel === undefined || passage.evidenceLevel === filter.evidenceLevel) &&
    (filter.minCredibility === undefined || passage.credibility >= filter.minCredibility)
  );
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);

/** Brute force over a few dozen unit vectors: exact, and faster than a network round trip. */
export function memoryIndex(
  corpus: KnowledgeCorpus,
  vectors: readonly (readonly number[])[],
): KnowledgeIndex {
  return {
    kind: "memory",
    async query(vector, filter, limit) {
      return corpus.passages
        .map((passage, i) => ({ passage, score: dot(vector, vectors[i] ?? []) }))
        .filter(({ passage }) => matchesFilter(passage, filter))
        .sort((a, b) => b.score - a.score || a.passage.id.localeCompare(b.passage.id))
        .slice(0, limit);
    },
  };
}

/** One collection per embedding model: vectors of different models are not comparable. */
export function knowledgeCollectionName(model: string): string {
  return `knowledge-${model.replace(/[^a-zA-Z0-9._-]/g, "-")}`;
}

/** Chroma's `where`: one condition as is, several under $and (Chroma refuses a bare multi-key object). */
export function chromaWhere(filter: KnowledgeFilter): Where | undefined {
  const conditions: Where[] = [];
  if (filter.domain !== undefined) conditions.push({ domain: { $eq: filter.domain } });
  if (filter.evidenceLevel !== undefined) conditions.push({ evidenceLevel: { $eq: filter.evidenceLevel } });
  if (filter.minCredibility !== undefined) conditions.push({ credibility: { $gte: filter.minCredibility } });
  if (conditions.length === 0) return undefined;
  return conditions.length === 1 ? conditions[0] : { $and: conditions };
}

export function chromaIndex(corpus: KnowledgeCorpus, collection: Collection): KnowledgeIndex {
  return {
    kind: "chroma",
    async query(vector, filter, limit) {
      const where = chromaWhere(filter);
      const result = await collection.query({
        queryEmbeddings: [[...vector]],
        nResults: limit,
        ...(where ? { where } : {}),
        include: ["distances"],
      });
      const ids = result.ids[0] ?? [];
      const distances = result.distances?.[0] ?? [];
      const hits: ScoredPassage[] = [];
      for (const [i, id] of ids.entries()) {
        // The corpus in memory is the source of truth for text and citation; Chroma only ranks.
        const passage = corpus.byId.get(id);
        if (passage) hits.push({ passage, score: 1 - (distances[i] ?? 1) });
      }
      return hits;
    },
  };
}
