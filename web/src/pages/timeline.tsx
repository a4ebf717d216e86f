import type { Entry } from "@inkwell/shared";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ok } from "../api.ts";
import { ErrorNote, errorText } from "../components.tsx";
import { formatDate } from "../format.ts";

export function TimelinePage() {
  const [items, setItems] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [favorites, setFavorites] = useState(false);
  const [tag, setTag] = useState("");
  const [error, setError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const generation = useRef(0);

  async function loadMore(reset = false) {
    if (loading && !reset) return;
    const gen = reset ? ++generation.current : generation.current;
    setLoading(true);
    try {
      const page = await ok(
        api.v1.entries.$get({
          query: {
            limit: "20",
            ...(reset || !cursor ? {} : { cursor }),
            ...(favorites ? { favorite: "true" } : {}),
            ...(tag.trim() ? { tag: tag.trim() } : {}),
          },
        }),
      );
      if (gen !== generation.current) return;
      setItems((prev) => (reset ? page.items : [...prev, ...page.items]));
      setCursor(page.nextCursor);
      setDone(page.nextCursor === null);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    void loadMore(true);
  }, [favorites, tag]);

  useEffect(() => {
    const node = sentinel.current;
    if (!node || done) return;
    // Infinite scroll: the next page loads as the end of the list comes into view.
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((s) => s.isIntersecting)) void loadMore();
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [cursor, done, loading]);

  return (
    <section>
      <h1>Your entries</h1>
      <div class="row filters">
        <label class="check">
          <input
            type="checkbox"
            checked={favorites}
            onChange={(e) => setFavorites(e.currentTarget.checked)}
          />
          Favourites only
        </label>
        <label>
          Tag
          <input value={tag} onChange={(e) => setTag(e.currentTarget.value)} />
        </label>
      </div>
      <ErrorNote error={error} />
      {items.length === 0 && done && !error && (
        <p>
          No entries yet. <a href="/write">Write the first one</a>.
        </p>
      )}
      <ol class="timeline">
        {items.map((entry) => (
          <li key={entry.id}>
            <article>
              <h2>
                <a href={`/entries/${entry.id}`}>{entry.title ?? "Untitled entry"}</a>
                {entry.favorite && (
                  <span title="Favourite">
                    {" "}
                    ★<span class="visually-hidden"> (favourite)</span>
                  </span>
                )}
              </h2>
              <p class="meta">
                <time dateTime={entry.occurredAt}>{formatDate(entry.occurredAt)}</time>
                {entry.mood !== null && <> · mood {entry.mood}/10</>}
                {entry.tags.length > 0 && <> · {entry.tags.join(", ")}</>}
              </p>
              <p>{entry.content.length > 240 ? `${entry.content.slice(0, 240)}…` : entry.content}</p>
            </article>
          </li>
        ))}
      </ol>
      <div ref={sentinel} />
      {!done && (
        <button type="button" class="quiet" disabled={loading} onClick={() => void loadMore()}>
          {loading ? "Loading…" : "More entries"}
        </button>
      )}
    </section>
  );
}
