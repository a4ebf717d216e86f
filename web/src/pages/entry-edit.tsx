import type { Entry, EntryVersion } from "@inkwell/shared";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, ok, succeeded } from "../api.ts";
import { ErrorNote, errorText } from "../components.tsx";
import { parseTags } from "../draft.ts";
import { formatDate } from "../format.ts";

/** An entry saved (an edit or a restore) with the ETag its next change must present. */
export interface Saved {
  entry: Entry;
  etag: string | null;
}

/** The entry an edit, a restore or a read answered, with the ETag its next change must present. */
export async function savedFrom(res: { headers: Headers; json(): Promise<Entry> }): Promise<Saved> {
  return { entry: await res.json(), etag: res.headers.get("ETag") };
}

const CONFLICT =
  "This entry changed elsewhere since you opened it. Your text is still here: copy it, reload the entry and edit again.";

function problemText(err: unknown): string {
  return err instanceof ApiError && err.status === 412 ? CONFLICT : errorText(err);
}

/**
 * Sends a change guarded by the ETag the page read. The analysis landing changes the ETag too, and is
 * nobody's edit: when the server's title and text are still those on the page, the change is sent
 * again with the new ETag; another edit of the text stays a conflict.
 */
async function guarded(entry: Entry, etag: string | null, send: (etag: string | null) => Promise<Saved>) {
  try {
    return await send(etag);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 412) throw err;
    const current = await savedFrom(await succeeded(api.v1.entries[":id"].$get({ param: { id: entry.id } })));
    const server = current.entry;
    if (server.content !== entry.content || server.title !== entry.title) throw err;
    return send(current.etag);
  }
}

/**
 * Editing an entry in place. The save presents the ETag the page read (`If-Match`), so an edit made
 * meanwhile on another device is refused rather than overwritten; a changed text is analysed again.
 */
export function EntryEditor({
  entry,
  etag,
  onSaved,
  onCancel,
}: {
  entry: Entry;
  etag: string | null;
  onSaved: (saved: Saved) => void;
  onCancel: () => void;
}) {
  const [title, setTitle] = useState(entry.title ?? "");
  const [content, setContent] = useState(entry.content);
  const [mood, setMood] = useState(entry.mood);
  const [tags, setTags] = useState(entry.tags.join(", "));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const body = { title: title.trim() || null, content, mood, tags: parseTags(tags) };
      onSaved(
        await guarded(entry, etag, (match) =>
          succeeded(
            api.v1.entries[":id"].$patch(
              { param: { id: entry.id }, json: body },
              { headers: match ? { "If-Match": match } : {} },
            ),
          ).then(savedFrom),
        ),
      );
    } catch (err) {
      setError(problemText(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form class="edit" onSubmit={save} aria-labelledby="edit-title">
      <h2 id="edit-title">Edit this entry</h2>
      <label>
        Title
        <input value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label>
        Text
        <textarea rows={12} required value={content} onInput={(e) => setContent(e.currentTarget.value)} />
      </label>
      <div class="row">
        <label>
          Mood
          <select
            value={mood === null ? "" : String(mood)}
            onChange={(e) => setMood(e.currentTarget.value ? Number(e.currentTarget.value) : null)}
          >
            <option value="">Not set</option>
            {[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((m) => (
              <option key={m} value={String(m)}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          Tags, separated by commas
          <input value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
        </label>
      </div>
      <ErrorNote error={error} />
      <div class="row">
        <button type="submit" disabled={saving || !content.trim()}>
          {saving ? "Saving…" : "Save changes"}
        </button>
        <button type="button" class="quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * Every text the entry has had (`GET /v1/entries/{id}/versions`), newest first, each readable and, but
 * the current one, restorable: a restore is a new version with the old text, analysed again.
 */
export function VersionHistory({
  entry,
  etag,
  onRestored,
}: {
  entry: Entry;
  etag: string | null;
  onRestored: (saved: Saved) => void;
}) {
  const [versions, setVersions] = useState<EntryVersion[] | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  // The list follows the entry's text: an edit or a restore adds a version.
  useEffect(() => {
    let stopped = false;
    ok(api.v1.entries[":id"].versions.$get({ param: { id: entry.id }, query: { limit: "50" } }))
      .then((page) => {
        if (stopped) return;
        setVersions(page.items);
        setError(null);
      })
      .catch((err) => {
        if (!stopped) setError(errorText(err));
      });
    return () => {
      stopped = true;
    };
  }, [entry.id, entry.updatedAt]);

  async function restore(version: number) {
    setBusy(version);
    setError(null);
    try {
      onRestored(
        await guarded(entry, etag, (match) =>
          succeeded(
            api.v1.entries[":id"].versions[":version"].restore.$post(
              { param: { id: entry.id, version: String(version) } },
              { headers: match ? { "If-Match": match } : {} },
            ),
          ).then(savedFrom),
        ),
      );
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Earlier versions</h2>
      <ErrorNote error={error} />
      {versions === null ? (
        !error && <p>Loading…</p>
      ) : versions.length <= 1 ? (
        <p>None yet: each change of the title or text keeps the one before here.</p>
      ) : (
        <ol class="versions" aria-label="Versions">
          {versions.map((v) => (
            <li key={v.version} data-version={v.version}>
              <details>
                <summary>
                  Version {v.version} · {formatDate(v.createdAt)} · {v.wordCount} words
                  {v.current && " · current"}
                  {v.restoredFrom !== null && ` · restored from version ${v.restoredFrom}`}
                </summary>
                {v.title && <h3>{v.title}</h3>}
                <div class="content">{v.content}</div>
              </details>
              {!v.current && (
                <button
                  type="button"
                  class="quiet"
                  disabled={busy !== null}
                  onClick={() => void restore(v.version)}
                >
                  {busy === v.version ? "Restoring…" : `Restore version ${v.version}`}
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
