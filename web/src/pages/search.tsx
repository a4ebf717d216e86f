import { useState } from "preact/hooks";
import { api, ok } from "../api.ts";
import { ErrorNote, errorText, HitList } from "../components.tsx";
import type { SearchHit } from "../format.ts";

type Mode = "hybrid" | "semantic" | "keyword";

export function SearchPage() {
  const initial = new URLSearchParams(location.search);
  const [q, setQ] = useState(initial.get("q") ?? "");
  const [mode, setMode] = useState<Mode>((initial.get("mode") as Mode | null) ?? "hybrid");
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [degraded, setDegraded] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function search(event: Event) {
    event.preventDefault();
    if (!q.trim()) return;
    setBusy(true);
    try {
      const result = await ok(api.v1.search.$get({ query: { q: q.trim(), mode, limit: "20" } }));
      setHits(result.items);
      setDegraded(result.degraded);
      setError(null);
      history.replaceState(null, "", `/search?${new URLSearchParams({ q: q.trim(), mode })}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h1>Find</h1>
      <search>
        <form class="row" onSubmit={search}>
          <label class="grow">
            Search your journal
            <input type="search" name="q" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
          </label>
          <label>
            How
            <select name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as Mode)}>
              <option value="hybrid">Words and meaning</option>
              <option value="semantic">Meaning</option>
              <option value="keyword">Exact words</option>
            </select>
          </label>
          <button type="submit" disabled={busy}>
            Search
          </button>
        </form>
      </search>
      <ErrorNote error={error} />
      <div aria-live="polite">
        {degraded && (
          <p class="hint">Searching by meaning is unavailable right now; these match your words.</p>
        )}
        {hits !== null &&
          (hits.length === 0 ? (
            <p>Nothing found.</p>
          ) : (
            <>
              <p>
                {hits.length} {hits.length === 1 ? "entry" : "entries"} found
              </p>
              <HitList hits={hits} label="Search results" />
            </>
          ))}
      </div>
    </section>
  );
}
