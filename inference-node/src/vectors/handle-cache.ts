/** Collection handles kept at most, per store and per search: a few hundred bytes each. */
export const DEFAULT_HANDLE_CACHE_SIZE = 1000;

/**
 * Chroma collection handles (or lookups in flight) by name, least recently used dropped first: a node
 * serving thousands of writers keeps the busy ones' handles without its memory growing with every writer
 * it has ever seen. A dropped handle only costs one lookup the next time.
 */
export class HandleCache<T> {
  readonly #entries = new Map<string, T>();
  readonly #limit: number;

  constructor(limit = DEFAULT_HANDLE_CACHE_SIZE) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  get size(): number {
    return this.#entries.size;
  }

  get(name: string): T | undefined {
    const value = this.#entries.get(name);
    if (value === undefined) return undefined;
    // A Map iterates in insertion order: moving a hit to the end keeps the oldest use first.
    this.#entries.delete(name);
    this.#entries.set(name, value);
    return value;
  }

  set(name: string, value: T): void {
    this.#entries.delete(name);
    this.#entries.set(name, value);
    while (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** Forgets `name`, but only while it still holds `value` when one is given (a newer lookup stays). */
  delete(name: string, value?: T): void {
    if (value !== undefined && this.#entries.get(name) !== value) return;
    this.#entries.delete(name);
  }
}
