import type { KnowledgeDomainsResponse, KnowledgeHit, KnowledgeSearchRequest } from "@inkwell/shared";
import type { KnowledgeCorpus } from "./corpus.ts";
import { chromaIndex, type KnowledgeIndex, memoryIndex } from "./knowledge-index.ts";
import { type Embedder, embedCorpus, type SeedLogger, type SeedOutcome, seedKnowledge } from "./seed.ts";

export interface KnowledgeService {
  readonly corpus: KnowledgeCorpus;
  search(
    request: KnowledgeSearchRequest,
  ): Promise<{ model: string; items: KnowledgeHit[]; index: KnowledgeIndex["kind"] }>;
  domains(): KnowledgeDomainsResponse;
  /** Seeds Chroma (when configured) and switches searches to it; until then, and if it fails, memory serves. */
  seed(): Promise<SeedOutcome>;
}

export interface KnowledgeServiceOptions {
  corpus: KnowledgeCorpus;
  embedder: Embedder;
  model: string;
  chromaUrl: string | undefined;
  chromaToken?: string;
  log: SeedLogger;
}

export function createKnowledgeService(options: KnowledgeServiceOptions): KnowledgeService {
  const { corpus, embedder, log } = options;
  let chroma: KnowledgeIndex | undefined;
  let memory: Promise<KnowledgeIndex> | undefined;

  const memoryFallback = (): Promise<KnowledgeIndex> => {
    if (!memory) {
      memory = embedCorpus(corpus, embedder).then(({ vectors }) => memoryIndex(corpus, vectors));
      // A failed embedding run (model busy) is retried by the next search rather than cached.
      memory.catch(() => {
        memory = undefined;
      });
    }
    return memory;
  };

  return {
    corpus,
    async search(request) {
      const embedded = await embedder.embed([request.query]);
      const vector = Array.from(embedded.vectors[0] ?? []);
      const filter = {
        ...(request.domain ? { domain: request.domain } : {}),
        ...(request.evidenceLevel ? { evidenceLevel: request.evidenceLevel } : {}),
        ...(request.minCredibility !== undefined ? { minCredibility: request.minCredibility } : {}),
      };
      let index = chroma ?? (await memoryFallback());
      let hits: Awaited<ReturnType<KnowledgeIndex["query"]>>;
      try {
        hits = await index.query(vector, filter, request.limit);
      } catch (error) {
        // Chroma went away after seeding: answer from memory rather than fail the chat that asked.
        log.warn(
          { err: (error as Error).message },
          "knowledge search in Chroma failed; answering from memory",
        );
        index = await memoryFallback();
        hits = await index.query(vector, filter, request.limit);
      }
      return {
        model: embedded.model,
        index: index.kind,
        items: hits.map(({ passage, score }) => ({
          id: passage.id,
          title: passage.title,
          domain: passage.domain,
          text: passage.text,
          techniques: passage.techniques,
          evidenceLevel: passage.evidenceLevel,
          credibility: passage.credibility,
          source: passage.source,
          score: Number(score.toFixed(4)),
        })),
      };
    },
    domains() {
      return {
        corpusHash: corpus.hash,
        domains: corpus.files.map((file) => ({
          domain: file.domain,
          title: file.title,
          description: file.description,
          passageCount: file.passages.length,
        })),
      };
    },
    async seed() {
      try {
        const outcome = await seedKnowledge({ ...options, corpus });
        if (outcome.collectionRef) chroma = chromaIndex(corpus, outcome.collectionRef);
        const { collectionRef: _, ...rest } = outcome;
        return rest;
      } catch (error) {
        log.warn(
          { err: (error as Error).message },
          "seeding the knowledge base into Chroma failed; searching in memory",
        );
        return { status: "skipped", reason: `Chroma failed: ${(error as Error).message}` };
      }
    },
  };
}
