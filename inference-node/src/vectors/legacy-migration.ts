import type { VectorStore, VectorStoreLogger } from "./chroma-store.ts";

/** How long a failed step (Chroma unreachable, restarting) waits before the migration tries again. */
export const LEGACY_MIGRATION_RETRY_MS = 30_000;

/**
 * Moves what nodes before per-writer collections kept in per-model collections into the writers' own,
 * page by page, in the background: each page is written to its writers' collections, then taken out of
 * the per-model one, which is dropped once empty. A node stopped halfway resumes where the collection
 * stands at its next start; search reads the per-model collections meanwhile. Logs counts only.
 */
export async function runLegacyMigration(
  store: VectorStore,
  log: VectorStoreLogger,
  signal: AbortSignal,
  pageSize?: number,
): Promise<void> {
  let moved = 0;
  let removed = 0;
  let started = false;
  while (!signal.aborted) {
    try {
      const step = await store.migrateLegacy(pageSize);
      if (step.done) {
        if (started) log.info({ moved, removed }, "per-model vector collections moved to per-writer ones");
        return;
      }
      if (!started)
        log.info({ collection: step.collection }, "moving per-model vector collections to per-writer ones");
      started = true;
      moved += step.moved;
      removed += step.removed;
      log.info(
        { collection: step.collection, page: step.removed, moved, removed, dropped: step.dropped },
        "per-model vectors moved",
      );
    } catch (error) {
      log.warn(
        { error: (error as Error).name, retryInMs: LEGACY_MIGRATION_RETRY_MS },
        "moving per-model vectors failed; trying again later",
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, LEGACY_MIGRATION_RETRY_MS);
        timer.unref();
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
