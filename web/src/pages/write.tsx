import type { WritingPrompt } from "@inkwell/shared";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, ok, succeeded } from "../api.ts";
import { clearDraft, type Draft, emptyDraft, loadDraft, parseTags, storeDraft } from "../draft.ts";
import { navigate } from "../router.ts";
import { type Saved, savedFrom } from "./entry-edit.tsx";

type SaveState = "idle" | "saving" | "saved" | "offline" | "error";
const AUTOSAVE_MS = 1200;

async function save(draft: Draft): Promise<Draft> {
  const body = {
    title: draft.title.trim() || null,
    content: draft.content,
    mood: draft.mood,
    tags: parseTags(draft.tags),
  };
  if (!draft.entryId) {
    const { entry, etag } = await savedFrom(
      await succeeded(
        api.v1.entries.$post({ json: body }, { headers: { "Idempotency-Key": draft.createKey } }),
      ),
    );
    return {
      ...draft,
      entryId: entry.id,
      etag,
      savedAt: entry.updatedAt,
      savedTitle: entry.title ?? "",
      savedContent: entry.content,
    };
  }
  const param = { id: draft.entryId };
  const send = async (etag: string | null) =>
    savedFrom(
      await succeeded(
        api.v1.entries[":id"].$patch({ param, json: body }, { headers: etag ? { "If-Match": etag } : {} }),
      ),
    );
  let saved: Saved;
  try {
    saved = await send(draft.etag);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 412) throw err;
    // The analysis landing changes the entry's ETag too: only another change of its text is a conflict.
    const current = await savedFrom(await succeeded(api.v1.entries[":id"].$get({ param })));
    if (current.entry.content !== draft.savedContent || (current.entry.title ?? "") !== draft.savedTitle) {
      throw err;
    }
    saved = await send(current.etag);
  }
  return {
    ...draft,
    etag: saved.etag,
    savedAt: saved.entry.updatedAt,
    savedTitle: saved.entry.title ?? "",
    savedContent: saved.entry.content,
  };
}

/** A prompt's question, or a template's introduction and headings, to write under. */
function promptText(prompt: WritingPrompt): string {
  if (prompt.kind === "prompt") return `${prompt.body}\n\n`;
  return [prompt.body, ...prompt.sections.map((s) => `## ${s.heading}\n${s.prompt}\n`)].join("\n\n");
}

function PromptPicker({ onPick }: { onPick: (prompt: WritingPrompt) => void }) {
  const [prompts, setPrompts] = useState<WritingPrompt[]>([]);
  useEffect(() => {
    ok(api.v1.prompts.$get({ query: { limit: "50" } }))
      .then((page) => setPrompts(page.items))
      .catch(() => setPrompts([]));
  }, []);
  if (prompts.length === 0) return null;
  return (
    <details class="prompts">
      <summary>Start from a prompt or a template</summary>
      <ul>
        {prompts.map((p) => (
          <li key={p.id}>
            <button type="button" class="quiet" onClick={() => onPick(p)}>
              {p.title}
            </button>{" "}
            <span class="hint">
              {p.why} ({p.minutes} min)
            </span>
          </li>
        ))}
      </ul>
    </details>
  );
}

export function WritePage() {
  const [draft, setDraft] = useState<Draft>(loadDraft);
  const [state, setState] = useState<SaveState>(draft.savedAt ? "saved" : "idle");
  const [problem, setProblem] = useState<string | null>(null);
  const latest = useRef(draft);
  const dirty = useRef(false);
  const saving = useRef<Promise<void> | null>(null);

  function update(change: Partial<Draft>) {
    const next = { ...latest.current, ...change };
    latest.current = next;
    dirty.current = true;
    storeDraft(next);
    setDraft(next);
  }

  async function flush(): Promise<void> {
    if (saving.current) await saving.current;
    if (!dirty.current || !latest.current.content.trim()) return;
    dirty.current = false;
    setState("saving");
    const sent = latest.current;
    saving.current = (async () => {
      try {
        const saved = await save(sent);
        // Keep whatever was typed while the save was in flight.
        const merged = {
          ...latest.current,
          entryId: saved.entryId,
          etag: saved.etag,
          savedAt: saved.savedAt,
          savedTitle: saved.savedTitle,
          savedContent: saved.savedContent,
        };
        latest.current = merged;
        storeDraft(merged);
        setDraft(merged);
        setProblem(null);
        setState(dirty.current ? "idle" : "saved");
      } catch (err) {
        dirty.current = true;
        if (err instanceof ApiError) {
          setState("error");
          setProblem(
            err.status === 412
              ? "This entry changed elsewhere. Your text is kept here; open the entry to compare."
              : err.message,
          );
        } else {
          setState("offline");
        }
      } finally {
        saving.current = null;
      }
    })();
    await saving.current;
  }

  useEffect(() => {
    if (!dirty.current) return;
    const timer = setTimeout(() => void flush(), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [draft]);

  useEffect(() => {
    const retry = () => void flush();
    addEventListener("online", retry);
    return () => removeEventListener("online", retry);
  }, []);

  async function finish() {
    // A draft restored from this device may never have reached the server; a saved one needs no save.
    if (!latest.current.entryId) dirty.current = true;
    await flush();
    const id = latest.current.entryId;
    if (id && !dirty.current) {
      clearDraft();
      navigate(`/entries/${id}`);
    }
  }

  function startOver() {
    clearDraft();
    const fresh = emptyDraft();
    latest.current = fresh;
    dirty.current = false;
    setDraft(fresh);
    setState("idle");
  }

  const status = {
    idle: draft.content ? "Not saved yet" : "",
    saving: "Saving…",
    saved: "Saved",
    offline: "Offline: kept on this device, will save when you are back online",
    error: "Not saved",
  }[state];

  return (
    <section class="write">
      <h1>Write</h1>
      <PromptPicker
        onPick={(p) =>
          update({
            title: latest.current.title || p.title,
            content: latest.current.content ? `${latest.current.content}\n\n${promptText(p)}` : promptText(p),
            tags: latest.current.tags || p.tags.join(", "),
          })
        }
      />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void finish();
        }}
      >
        <label>
          Title
          <input
            name="title"
            value={draft.title}
            maxLength={200}
            onInput={(e) => update({ title: e.currentTarget.value })}
          />
        </label>
        <label>
          What is on your mind?
          <textarea
            name="content"
            rows={12}
            value={draft.content}
            onInput={(e) => update({ content: e.currentTarget.value })}
          />
        </label>
        <div class="row">
          <label>
            Mood
            <select
              name="mood"
              value={draft.mood === null ? "" : String(draft.mood)}
              onChange={(e) => {
                const value = e.currentTarget.value;
                update({ mood: value ? Number(value) : null });
              }}
            >
              <option value="">Not set</option>
              {[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((m) => (
                <option key={m} value={String(m)}>
                  {m}
                  {m === 1 ? " (very low)" : m === 10 ? " (very good)" : ""}
                </option>
              ))}
            </select>
          </label>
          <label class="grow">
            Tags, separated by commas
            <input name="tags" value={draft.tags} onInput={(e) => update({ tags: e.currentTarget.value })} />
          </label>
        </div>
        <p class="status" role="status" aria-live="polite" data-state={state}>
          {status}
        </p>
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <div class="row">
          <button type="submit" disabled={!draft.content.trim()}>
            Save and read
          </button>
          <button type="button" class="quiet" onClick={startOver}>
            New entry
          </button>
        </div>
      </form>
    </section>
  );
}
