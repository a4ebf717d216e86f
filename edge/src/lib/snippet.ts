/**
 * Search snippets are HTML: text escaped, matches wrapped in `<mark>`. Postgres' `ts_headline` marks
 * matches with two private-use characters (never markup, which would be indistinguishable from markup
 * in the entry itself); the text is escaped first and only then are the sentinels turned into tags.
 */
export const MARK_START = "\uE000";
export const MARK_STOP = "\uE001";

/** `ts_headline` options: sentinels instead of tags, two short fragments. */
export const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_STOP}, MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter= … `;

/** Both sentinels: removed from entry text before `ts_headline` sees it, so a writer cannot forge a mark. */
export const SENTINELS = `${MARK_START}${MARK_STOP}`;

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Escapes, then turns each balanced pair of sentinels into `<mark>…</mark>`; stray sentinels are dropped. */
export function htmlSnippet(text: string): string {
  return escapeHtml(text)
    .replace(/\uE000([^\uE000\uE001]*)\uE001/g, "<mark>$1</mark>")
    .replace(/[\uE000\uE001]/g, "");
}

/** A snippet without highlights: the start of the text, escaped. */
export function plainSnippet(text: string, maxChars = 240): string {
  const clean = text.replace(/[\uE000\uE001]/g, "");
  return escapeHtml(clean.length > maxChars ? `${clean.slice(0, maxChars)}…` : clean);
}
