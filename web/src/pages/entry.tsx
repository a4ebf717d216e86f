import type { Entry } from "@inkwell/shared";
import { useEffect, useState } from "preact/hooks";
import { api, ok, succeeded } from "../api.ts";
import { CrisisPanel, ErrorNote, errorText, HitList } from "../components.tsx";
import { formatDate, type SearchHit } from "../format.ts";
import { EntryEditor, type Saved, savedFrom, VersionHistory } from "./entry-edit.tsx";

const POLL_MS = 1500;

function Analysis({ entry }: { entry: Entry }) {
  const a = entry.analysis;
  if (a.status === "pending") {
    return (
      <p class="pending" aria-live="polite">
        Reading your entry… the analysis appears here when it is ready.
      </p>
    );
  }
  if (a.status === "failed") return <p>The analysis could not be made this time.</p>;
  return (
    <dl class="analysis">
      {a.sentiment && (
        <>
          <dt>Overall tone</dt>
          <dd data-testid="sentiment">
            {a.sentiment.label} ({a.sentiment.score.toFixed(2)})
          </dd>
        </>
      )}
      {a.emotions && a.emotions.length > 0 && (
        <>
          <dt>Emotions</dt>
          <dd>
            {a.emotions
              .slice(0, 4)
              .map((e) => `${e.label} ${Math.round(e.score * 100)}%`)
              .join(", ")}
          </dd>
        </>
      )}
      {a.keywords && a.keywords.length > 0 && (
        <>
          <dt>Keywords</dt>
          <dd>{a.keywords.join(", ")}</dd>
        </>
      )}
      {a.topics && a.topics.length > 0 && (
        <>
          <dt>Topics</dt>
          <dd>{a.topics.map((t) => t.name).join(", ")}</dd>
        </>
      )}
      {a.patterns && a.patterns.length > 0 && (
        <>
          <dt>Thinking patterns</dt>
          <dd>
            <ul>
              {a.patterns.map((p) => (
                <li key={p.label}>
                  {p.label.replaceAll("_", " ")}: “{p.evidence}”
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

export function EntryPage({ id }: { id: string }) {
  const [entry, setEntry] = useState<Entry | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  /** Bumped after an edit or a restore: the analysis is pending again and polling starts over. */
  const [generation, setGeneration] = useState(0);
  const [related, setRelated] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Polls while the analysis is pending: it moves to done without a reload.
    const load = async () => {
      try {
        const { entry: next, etag } = await savedFrom(
          await succeeded(api.v1.entries[":id"].$get({ param: { id } })),
        );
        if (stopped) return;
        setEntry(next);
        setEtag(etag);
        setError(null);
        if (next.analysis.status === "pending") timer = setTimeout(load, POLL_MS);
      } catch (err) {
        if (!stopped) setError(errorText(err));
      }
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id, generation]);

  useEffect(() => {
    let stopped = false;
    ok(api.v1.entries[":id"].related.$get({ param: { id }, query: { limit: "5" } }))
      .then((r) => !stopped && setRelated(r.items))
      .catch(() => !stopped && setRelated([]));
    return () => {
      stopped = true;
    };
  }, [id]);

  function saved(next: Saved) {
    setEntry(next.entry);
    setEtag(next.etag);
    setEditing(false);
    setGeneration((g) => g + 1);
  }

  async function toggleFavorite() {
    if (!entry) return;
    try {
      const favorite = api.v1.entries[":id"].favorite;
      const param = { id: entry.id };
      const next = await savedFrom(
        await succeeded(entry.favorite ? favorite.$delete({ param }) : favorite.$put({ param })),
      );
      setEntry(next.entry);
      setEtag(next.etag);
    } catch (err) {
      setError(errorText(err));
    }
  }

  if (!entry) {
    return (
      <section>
        <h1>Entry</h1>
        <ErrorNote error={error} />
        {!error && <p>Loading…</p>}
      </section>
    );
  }
  const level = entry.analysis.safety?.level;
  return (
    <article class="entry">
      {(level === "high" || level === "critical") && <CrisisPanel />}
      <h1>{entry.title ?? "Untitled entry"}</h1>
      <p class="meta">
        <time dateTime={entry.occurredAt}>{formatDate(entry.occurredAt)}</time>
        {entry.mood !== null && <> · mood {entry.mood}/10</>}
        {entry.tags.length > 0 && <> · {entry.tags.join(", ")}</>}
      </p>
      <div class="row">
        <button
          type="button"
          class="quiet"
          aria-pressed={entry.favorite}
          onClick={() => void toggleFavorite()}
        >
          {entry.favorite ? "★ Favourite" : "☆ Mark as favourite"}
        </button>
        {!editing && (
          <button type="button" class="quiet" onClick={() => setEditing(true)}>
            Edit entry
          </button>
        )}
      </div>
      {editing ? (
        <EntryEditor entry={entry} etag={etag} onSaved={saved} onCancel={() => setEditing(false)} />
      ) : (
        <div class="content">{entry.content}</div>
      )}
      <section aria-labelledby="analysis-title">
        <h2 id="analysis-title">What Inkwell noticed</h2>
        <Analysis entry={entry} />
      </section>
      <section aria-labelledby="related-title">
        <h2 id="related-title">Related entries</h2>
        {related === null ? (
          <p>Looking…</p>
        ) : related.length === 0 ? (
          <p>None yet.</p>
        ) : (
          <HitList hits={related} label="Related entries" />
        )}
      </section>
      {/* Hidden while editing: a restore would replace the text being edited. */}
      {!editing && <VersionHistory entry={entry} etag={etag} onRestored={saved} />}
      <ErrorNote error={error} />
    </article>
  );
}
