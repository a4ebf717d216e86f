import { WRITER_COLLECTION_PREFIX } from "@inkwell/shared";

/** Per-model collections, as nodes kept vectors before each writer had collections of their own. */
export const LEGACY_ENTRY_PREFIX = "entries-";
export const LEGACY_CHUNK_PREFIX = "entry-chunks-";

/**
 * The embedding models that have per-writer collections, one record each: a writer's collections are
 * found by name from it rather than by listing every collection in Chroma. Its name has neither a
 * per-model nor a per-writer prefix, so no listing of vectors ever reads it.
 */
export const MODELS_COLLECTION = "inkwell-writer-models";

export interface CollectionKind {
  /** Sentence windows rather than whole-entry vectors. */
  chunks: boolean;
  /** A per-model collection from before per-writer ones. */
  legacy: boolean;
}

/** What a collection holds, read from its name; null for a collection that holds no entry vectors. */
export function collectionKind(name: string): CollectionKind | null {
  if (name.startsWith(LEGACY_ENTRY_PREFIX)) return { chunks: false, legacy: true };
  if (name.startsWith(LEGACY_CHUNK_PREFIX)) return { chunks: true, legacy: true };
  if (!name.startsWith(WRITER_COLLECTION_PREFIX)) return null;
  // The writer's key is the last part and holds no underscore; the kind comes just before it.
  const head = name.slice(0, name.lastIndexOf("_"));
  if (head.endsWith("_entries")) return { chunks: false, legacy: false };
  if (head.endsWith("_chunks")) return { chunks: true, legacy: false };
  return null;
}

/** Chroma's answer for a collection that does not exist (never made, or dropped since). */
export function isNotFound(error: unknown): boolean {
  return (error as Error | undefined)?.name === "ChromaNotFoundError";
}
