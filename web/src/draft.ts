/**
 * The entry being written, kept on this device so a lost connection or a reload loses nothing. Drafts
 * only: tokens never go to localStorage.
 */
export interface Draft {
  title: string;
  content: string;
  mood: number | null;
  tags: string;
  /** Set once the first save reached the server; later saves change that entry. */
  entryId: string | null;
  etag: string | null;
  /** The first save's Idempotency-Key, reused on its retries so a retry never makes a second entry. */
  createKey: string;
  savedAt: string | null;
  /** The title and text the server last accepted: a 412 with them unchanged is no one else's edit. */
  savedTitle: string;
  savedContent: string;
}

const KEY = "inkwell:draft";

export function emptyDraft(): Draft {
  return {
    title: "",
    content: "",
    mood: null,
    tags: "",
    entryId: null,
    etag: null,
    createKey: crypto.randomUUID(),
    savedAt: null,
    savedTitle: "",
    savedContent: "",
  };
}

export function loadDraft(): Draft {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw) return { ...emptyDraft(), ...(JSON.parse(raw) as Partial<Draft>) };
  } catch {
    // A damaged draft is dropped rather than blocking the editor.
  }
  return emptyDraft();
}

export function storeDraft(draft: Draft): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(draft));
  } catch {
    // Storage full or disabled: the draft still lives in memory.
  }
}

export function clearDraft(): void {
  localStorage.removeItem(KEY);
}

export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}
