import type { Answer, api } from "./api.ts";

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatDay(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** One result of a search, or one entry related to another, as the API answers it. */
export type SearchHit = Answer<typeof api.v1.search.$get>["items"][number];

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
};

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m] ?? (m === "&#x27;" ? "'" : m));
}

/**
 * A search snippet as text parts and highlighted parts. The API escapes the text and adds only `<mark>`;
 * the app still never inserts it as HTML: it splits on the marks and renders every part as text.
 */
export function snippetParts(snippet: string): { text: string; marked: boolean }[] {
  const parts: { text: string; marked: boolean }[] = [];
  const re = /<mark>([\s\S]*?)<\/mark>/g;
  let last = 0;
  for (const match of snippet.matchAll(re)) {
    const index = match.index ?? 0;
    if (index > last) parts.push({ text: decodeEntities(snippet.slice(last, index)), marked: false });
    parts.push({ text: decodeEntities(match[1] ?? ""), marked: true });
    last = index + match[0].length;
  }
  if (last < snippet.length) parts.push({ text: decodeEntities(snippet.slice(last)), marked: false });
  return parts;
}
