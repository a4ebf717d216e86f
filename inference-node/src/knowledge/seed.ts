import type { Collection } from "chromadb";
import { chromaClientFor } from "../vectors/chroma-client.ts";
import type { KnowledgeCorpus } from "./corpus.ts";
import { knowledgeCollectionName, passageEmbeddingText } from "./knowledge-index.ts";

export interface Embedder {
  embed(texts: readonly string[]): Promise<{ model: string; vectors: Float32Array[] }>;
}

export interface SeedLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export type SeedOutcome =
  | { status: "skipped"; reason: string }
  | { status: "up-to-date"; collection: string; passages: number }
  | { status: "seeded"; collection: string; passages: number; removed: number; ms: number };

const EMBED_BATCH = 32;

/** Embeds every passage (title and text) with the node's embedding model, in batches the runtime accepts. */
export async function embedCorpus(
  corpus: KnowledgeCorpus,
  embedder: Embedder,
): Promise<{ model: string; vectors: number[][] }> {
  const texts = corpus.passages.map(passageEmbeddingText);
  const vectors: number[][] = [];
  let model = "";
  for (let i = 0; i < texts.length; i += EMBED_BATCH) {
    const result = await embedder.embed(texts.slice(i, i + EMBED_BATCH));
    model = result.model;
    vectors.push(...result.vectors.map((v) => Array.from(v)));
  }
  return { model, vectors };
}

async function allIds(collection: Collection): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await collection.get({ limit: 500, offset, include: [] });
    ids.push(...page.ids);
    if (page.ids.length < 500) return ids;
  }
}

export interface SeedOptions {
  corpus: KnowledgeCorpus;
  embedder: Embedder;
  /** The node's embedding model id (names the collection). */
  model: string;
  chromaUrl: string | undefined;
  /** CHROMA_TOKEN, sent with every request when set. */
  chromaToken?: string;
  log: SeedLogger;
}

/**
 * Puts the corpus into Chroma as `knowledge-<model>`, once per corpus version: the corpus hash sits in the
 * collection's metadata, so nodes restart without re-embedding and a changed passage re-seeds everything.
 * Every node seeds its own model's collection; two nodes of one model writing the same vectors is harmless.
 */
export async function seedKnowledge(
  options: SeedOptions,
): Promise<SeedOutcome & { collectionRef?: Collection }> {
  const { corpus, log } = options;
  if (!options.chromaUrl) {
    log.info(
      {},
      "CHROMA_URL is not set: the knowledge base is not seeded into Chroma (searched in memory instead)",
    );
    return { status: "skipped", reason: "CHROMA_URL is not set" };
  }
  const started = performance.now();
  const client = chromaClientFor(options.chromaUrl, options.chromaToken);
  const name = knowledgeCollectionName(options.model);
  const collection = await client.getOrCreateCollection({
    name,
    embeddingFunction: null,
    metadata: { model: options.model, "hnsw:space": "cosine" },
  });
  const count = await collection.count();
  if (collection.metadata?.corpusHash === corpus.hash && count === corpus.passages.length) {
    log.info({ collection: name, passages: count }, "knowledge base is up to date in Chroma");
    return { status: "up-to-date", collection: name, passages: count, collectionRef: collection };
  }

  const { vectors } = await embedCorpus(corpus, options.embedder);
  const wanted = new Set(corpus.passages.map((p) => p.id));
  const stale = (await allIds(collection)).filter((id) => !wanted.has(id));
  if (stale.length > 0) await collection.delete({ ids: stale });
  await collection.upsert({
    ids: corpus.passages.map((p) => p.id),
    embeddings: vectors,
    documents: corpus.passages.map((p) => p.text),
    metadatas: corpus.passages.map((p) => ({
      domain: p.domain,
      evidenceLevel: p.evidenceLevel,
      credibility: p.credibility,
      title: p.title,
    })),
  });
  // Written last: a seed that died half-way leaves the old hash, so the next boot seeds again.
  await collection.modify({
    metadata: { model: options.model, "hnsw:space": "cosine", corpusHash: corpus.hash },
  });
  const ms = Math.round(performance.now() - started);
  log.info(
    { collection: name, passages: corpus.passages.length, removed: stale.length, ms },
    "knowledge base seeded into Chroma",
  );
  return {
    status: "seeded",
    collection: name,
    passages: corpus.passages.length,
    removed: stale.length,
    ms,
    collectionRef: collection,
  };
}
